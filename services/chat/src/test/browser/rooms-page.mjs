// One page in two rooms: it adds a room from its room list, shows each room's messages, members
// and unread count, switches between them, keeps both over a reload (each resumed on its own), and
// leaves one. The lobby's history starts with a system message the test posted over the bus, and a
// binary message to the lobby shows as a line naming its sender.
// Usage: node rooms-page.mjs BASE_URL CHROMIUM_PATH USER_DATA_DIR
// Exit 0 when every step passed; otherwise a message on stderr and exit 1.
import { chromium } from 'playwright-core';

const [base, executablePath, userDataDir] = process.argv.slice(2);
if (!base || !executablePath || !userDataDir) {
  console.error('usage: node rooms-page.mjs BASE_URL CHROMIUM_PATH USER_DATA_DIR');
  process.exit(2);
}
const STEP_MS = 10_000;
const overall = setTimeout(() => {
  console.error('browser test took longer than 60 s');
  process.exit(1);
}, 60_000);

const texts = (page) => page.$$eval('#messages li[data-seq] .text', (items) => items.map((li) => li.textContent));
const members = (page) => page.$$eval('#members li', (items) => items.map((li) => li.textContent));
const roomList = (page) => page.$$eval('#rooms li', (items) => items.map((li) => li.dataset.room + (li.getAttribute('aria-current') ? '*' : '')));

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

async function membersAre(page, expected) {
  await page.waitForFunction((e) => JSON.stringify([...document.querySelectorAll('#members li')].map((li) => li.textContent)) === e,
    JSON.stringify(expected), { timeout: STEP_MS });
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
  const sent = [];
  await ann.routeWebSocket(/\/chat$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      sent.push(JSON.parse(String(message)));
      server.send(message);
    });
    server.onMessage((message) => ws.send(message));
  });
  await ann.goto(base + '/?room=lobby&nickname=ann');
  await online(ann);
  await sees(ann, 'welcome to the lobby');
  expect(await ann.$eval('#messages li[data-seq]', (li) => li.classList.contains('system')), 'the posted message is not shown as a system message');

  await ann.fill('#new-room', 'kitchen');
  await ann.click('#add-room');
  await ann.waitForFunction(() => document.getElementById('room-title').textContent === '#kitchen as ann', null, { timeout: STEP_MS });
  expect(JSON.stringify(await roomList(ann)) === JSON.stringify(['lobby', 'kitchen*']), 'room list: ' + JSON.stringify(await roomList(ann)));
  await membersAre(ann, ['ann']);

  const bob = await browser.newPage();
  await bob.goto(base + '/?room=kitchen&nickname=bob');
  await online(bob);
  const cat = await browser.newPage();
  await cat.goto(base + '/?room=lobby&nickname=cat');
  await online(cat);
  await membersAre(ann, ['ann', 'bob']);

  await say(bob, 'in the kitchen');
  await sees(ann, 'in the kitchen');
  await say(cat, 'in the lobby');
  await ann.waitForFunction(() => document.querySelector('#rooms li[data-room="lobby"] .unread').textContent === '1', null, { timeout: STEP_MS });
  expect(!(await texts(ann)).includes('in the lobby'), 'the lobby\'s message shown in the kitchen');

  await ann.click('#rooms li[data-room="lobby"] .room');
  await sees(ann, 'in the lobby');
  expect(await ann.textContent('#room-title') === '#lobby as ann', 'title: ' + await ann.textContent('#room-title'));
  await membersAre(ann, ['ann', 'cat']);
  expect(await ann.$eval('#rooms li[data-room="lobby"] .unread', (e) => e.hidden), 'unread badge still shown');
  await say(ann, 'hi lobby');
  await sees(cat, 'hi lobby');
  const toLobby = sent.filter((m) => m.type === 'message').pop();
  expect(toLobby.room === 'lobby', 'the message names its room: ' + JSON.stringify(toLobby));

  // A client of its own in cat's page sends the lobby bytes; ann's page says who sent how many.
  await cat.evaluate((url) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.onopen = () => ws.send(JSON.stringify({ type: 'join', room: 'lobby', nickname: 'dan' }));
    ws.onmessage = (event) => {
      if (JSON.parse(event.data).type === 'presence') {
        ws.send(new Uint8Array([1, 0, 10, 20, 30]));
        resolve();
      }
    };
    ws.onerror = () => reject(new Error('dan could not connect'));
  }), base.replace(/^http/, 'ws') + '/chat');
  await ann.waitForFunction(() => [...document.querySelectorAll('#messages li.notice')].some((li) => li.textContent === 'dan sent 3 bytes of binary data'),
    null, { timeout: STEP_MS });

  await ann.reload();
  await online(ann);
  await sees(ann, 'hi lobby');
  expect(JSON.stringify(await roomList(ann)) === JSON.stringify(['lobby*', 'kitchen']), 'rooms after reload: ' + JSON.stringify(await roomList(ann)));
  const joins = sent.filter((m) => m.type === 'join').slice(-2);
  expect(joins.every((j) => j.add === true) && JSON.stringify(joins.map((j) => j.room)) === JSON.stringify(['lobby', 'kitchen']),
    'joins after reload: ' + JSON.stringify(joins));
  await ann.click('#rooms li[data-room="kitchen"] .room');
  await sees(ann, 'in the kitchen');

  await ann.click('#rooms li[data-room="kitchen"] .leave');
  await membersAre(bob, ['bob']);
  expect(JSON.stringify(await roomList(ann)) === JSON.stringify(['lobby*']), 'rooms after leaving: ' + JSON.stringify(await roomList(ann)));
  await say(bob, 'ann is gone');
  await say(cat, 'still here');
  await sees(ann, 'still here');
  expect(!(await texts(ann)).includes('ann is gone'), 'a room left still delivers');
  console.log('OK ' + JSON.stringify({ ann: await texts(ann) }));
} catch (e) {
  failed = true;
  console.error('FAILED: ' + e.message);
} finally {
  await browser.close();
  clearTimeout(overall);
}
process.exit(failed ? 1 : 0);
