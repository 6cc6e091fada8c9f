// Two pages chat in headless Chromium; one reloads and gets its history back.
// Usage: node two-pages.mjs BASE_URL CHROMIUM_PATH USER_DATA_DIR
// Exit 0 when every step passed; otherwise a message on stderr and exit 1.
import { chromium } from 'playwright-core';

const [base, executablePath, userDataDir] = process.argv.slice(2);
if (!base || !executablePath || !userDataDir) {
  console.error('usage: node two-pages.mjs BASE_URL CHROMIUM_PATH USER_DATA_DIR');
  process.exit(2);
}
const STEP_MS = 10_000;
const overall = setTimeout(() => {
  console.error('browser test took longer than 60 s');
  process.exit(1);
}, 60_000);

const texts = (page) => page.$$eval('#messages li[data-seq] .text', (items) => items.map((li) => li.textContent));
const seqs = (page) => page.$$eval('#messages li[data-seq]', (items) => items.map((li) => Number(li.dataset.seq)));

async function online(page) {
  await page.waitForSelector('#status[data-state="online"]', { timeout: STEP_MS });
}

async function say(page, text) {
  await page.fill('#text', text);
  await page.click('#send');
}

async function sees(page, text) {
  await page.waitForFunction((t) => [...document.querySelectorAll('#messages li[data-seq] .text')].some((e) => e.textContent === t),
    text, { timeout: STEP_MS });
}

function expect(condition, what) {
  if (!condition) {
    throw new Error(what);
  }
}

const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
});
let failed = false;
try {
  const ann = await browser.newPage();
  const bob = await browser.newPage();
  await ann.goto(base + '/?room=lobby&nickname=ann');
  await online(ann);
  await bob.goto(base + '/?room=lobby&nickname=bob');
  await online(bob);
  await bob.waitForFunction(() => document.querySelectorAll('#members li').length === 2, null, { timeout: STEP_MS });

  await say(ann, 'hello from ann');
  await sees(bob, 'hello from ann');
  await say(bob, 'hi ann');
  await sees(ann, 'hi ann');

  await bob.reload();
  await online(bob);
  await sees(bob, 'hi ann');
  const afterReload = await texts(bob);
  expect(JSON.stringify(afterReload) === JSON.stringify(['hello from ann', 'hi ann']), 'history after reload: ' + JSON.stringify(afterReload));

  await say(ann, 'after the reload');
  await sees(bob, 'after the reload');
  const all = await seqs(bob);
  expect(JSON.stringify(all) === JSON.stringify([1, 2, 3]), 'sequence at bob: ' + JSON.stringify(all));
  const members = await bob.$$eval('#members li', (items) => items.map((li) => li.textContent));
  expect(JSON.stringify(members) === JSON.stringify(['ann', 'bob']), 'members at bob: ' + JSON.stringify(members));
  console.log('OK ' + JSON.stringify({ ann: await texts(ann), bob: await texts(bob) }));
} catch (e) {
  failed = true;
  console.error('FAILED: ' + e.message);
} finally {
  await browser.close();
  clearTimeout(overall);
}
process.exit(failed ? 1 : 0);
