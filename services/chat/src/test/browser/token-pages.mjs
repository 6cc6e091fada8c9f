// The chat page with tokens, against a chat that requires them: one page gets its token in the
// fragment, the other in the query string (moved to the fragment at once); each speaks under the
// name its token gives, the first message on each connection is the token, a reload keeps it, and a
// page with a bad token shows why and does not reconnect.
// Usage: node token-pages.mjs BASE_URL CHROMIUM_PATH USER_DATA_DIR ANN_TOKEN BOB_TOKEN
// Exit 0 when every step passed; otherwise a message on stderr and exit 1.
import { chromium } from 'playwright-core';

const [base, executablePath, userDataDir, annToken, bobToken] = process.argv.slice(2);
if (!base || !executablePath || !userDataDir || !annToken || !bobToken) {
  console.error('usage: node token-pages.mjs BASE_URL CHROMIUM_PATH USER_DATA_DIR ANN_TOKEN BOB_TOKEN');
  process.exit(2);
}
const STEP_MS = 10_000;
const overall = setTimeout(() => {
  console.error('browser test took longer than 60 s');
  process.exit(1);
}, 60_000);

function expect(condition, what) {
  if (!condition) {
    throw new Error(what);
  }
}

async function online(page) {
  await page.waitForSelector('#status[data-state="online"]', { timeout: STEP_MS });
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
  const annFirst = [];
  // Ann's WebSocket is forwarded by hand to see the first message of each connection.
  await ann.routeWebSocket(/\/chat$/, (ws) => {
    const server = ws.connectToServer();
    let first = true;
    ws.onMessage((message) => {
      if (first) {
        annFirst.push(JSON.parse(String(message)));
        first = false;
      }
      server.send(message);
    });
    server.onMessage((message) => ws.send(message));
  });
  await ann.goto(base + '/?room=lobby#access_token=' + annToken);
  await online(ann);
  expect(await ann.textContent('#room-title') === '#lobby as ann', 'ann title: ' + await ann.textContent('#room-title'));

  const bob = await browser.newPage();
  await bob.goto(base + '/?room=lobby&access_token=' + bobToken);
  await online(bob);
  expect(await bob.textContent('#room-title') === '#lobby as bob', 'bob title: ' + await bob.textContent('#room-title'));
  const bobUrl = new URL(bob.url());
  expect(!bobUrl.search.includes('access_token') && bobUrl.hash.includes('access_token='), 'token not moved to the fragment: ' + bob.url());

  await ann.fill('#text', 'hello from ann');
  await ann.click('#send');
  await bob.waitForFunction(() => [...document.querySelectorAll('#messages li[data-seq]')]
    .some((li) => li.querySelector('.text').textContent === 'hello from ann' && li.querySelector('.sender').textContent === 'ann'),
  null, { timeout: STEP_MS });

  await ann.reload();
  await online(ann);
  expect(annFirst.length === 2 && annFirst.every((m) => m.type === 'auth' && m.token === annToken),
    'first messages of ann\'s connections: ' + JSON.stringify(annFirst.map((m) => m.type)));
  await ann.waitForFunction(() => document.querySelectorAll('#members li').length === 2, null, { timeout: STEP_MS });

  const bad = await browser.newPage();
  await bad.goto(base + '/?room=lobby#access_token=not.a.jwt');
  await bad.waitForFunction(() => document.getElementById('error').textContent.includes('unauthorized: malformed token'),
    null, { timeout: STEP_MS });
  // Set in the same close handler as the error: a page about to reconnect would say 'reconnecting'.
  expect(await bad.getAttribute('#status', 'data-state') === 'offline', 'a page with a refused token reconnects');
  console.log('OK ' + JSON.stringify({ first: annFirst.map((m) => m.type) }));
} catch (e) {
  failed = true;
  console.error('FAILED: ' + e.message);
} finally {
  await browser.close();
  clearTimeout(overall);
}
process.exit(failed ? 1 : 0);
