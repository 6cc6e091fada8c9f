// Two pages chat in headless Chromium; one reloads and gets its history back; then its connection
// drops (cut by a WebSocket route, reconnects refused for a while), the other page talks meanwhile,
// and once it may reconnect it resumes with `since`: exactly the missed messages, none twice.
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
  // Bob's WebSocket goes through this route so that the test can cut it like a network blip.
  let bobSocket = null;
  let bobServer = null;
  let refuse = false;
  let bobConnects = 0;
  const bobSent = [];
  const bobReceived = [];
  await bob.routeWebSocket(/\/chat$/, (ws) => {
    if (refuse) {
      ws.close({ code: 1006, reason: 'offline' });
      return;
    }
    bobConnects++;
    bobSocket = ws;
    bobServer = ws.connectToServer();
    // Forwarded by hand to see what the page sends and receives.
    ws.onMessage((message) => {
      bobSent.push(String(message));
      bobServer.send(message);
    });
    bobServer.onMessage((message) => {
      bobReceived.push(String(message));
      ws.send(message);
    });
  });
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

  // A blip: bob's connection is cut and reconnecting is refused while ann talks.
  const connectsBefore = bobConnects;
  const lastSeen = Math.max(...(await seqs(bob)));
  refuse = true;
  await bobServer.close();
  await bobSocket.close({ code: 1006, reason: 'blip' });
  await bob.waitForSelector('#status[data-state="reconnecting"]', { timeout: STEP_MS });
  await say(ann, 'while bob was away 1');
  await say(ann, 'while bob was away 2');
  await sees(ann, 'while bob was away 2');
  refuse = false;
  const receivedBefore = bobReceived.length;
  await online(bob);
  await sees(bob, 'while bob was away 2');
  const rejoin = JSON.parse(bobSent.filter((m) => JSON.parse(m).type === 'join').pop());
  expect(rejoin.since === lastSeen, 'rejoin with since ' + lastSeen + ': ' + JSON.stringify(rejoin));
  const replayed = bobReceived.slice(receivedBefore).map((m) => JSON.parse(m)).filter((e) => e.type === 'message').map((e) => e.seq);
  expect(JSON.stringify(replayed) === JSON.stringify([lastSeen + 1, lastSeen + 2]), 'replayed after the blip: ' + JSON.stringify(replayed));
  expect(bobConnects === connectsBefore + 1, 'bob reconnected ' + (bobConnects - connectsBefore) + ' times');
  await say(ann, 'welcome back');
  await sees(bob, 'welcome back');
  const resumed = await seqs(bob);
  expect(JSON.stringify(resumed) === JSON.stringify([1, 2, 3, 4, 5, 6]), 'sequence at bob after the blip: ' + JSON.stringify(resumed));
  console.log('OK ' + JSON.stringify({ ann: await texts(ann), bob: await texts(bob) }));
} catch (e) {
  failed = true;
  console.error('FAILED: ' + e.message);
} finally {
  await browser.close();
  clearTimeout(overall);
}
process.exit(failed ? 1 : 0);
