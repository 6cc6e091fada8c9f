// The gateway's dashboard in headless Chromium: the page goes live, draws the cluster's members and
// both http nodes as serving, shows traffic on the route after some requests; then (when the test
// has stopped one node, on our "stop-node" line) the page drops that node by itself.
// Usage: node dashboard.mjs GATEWAY_URL ADMIN_URL CHROMIUM_PATH USER_DATA_DIR (the dashboard is on the admin port)
// Exit 0 when every step passed; otherwise a message on stderr and exit 1.
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

const [base, admin, executablePath, userDataDir] = process.argv.slice(2);
if (!base || !admin || !executablePath || !userDataDir) {
  console.error('usage: node dashboard.mjs GATEWAY_URL ADMIN_URL CHROMIUM_PATH USER_DATA_DIR');
  process.exit(2);
}
const STEP_MS = 15_000;
const REQUESTS = 200;
const overall = setTimeout(() => {
  console.error('browser test took longer than 75 s');
  process.exit(1);
}, 75_000);

const lines = createInterface({ input: process.stdin });
const stopped = new Promise((resolve) => lines.on('line', (line) => line.trim() === 'node-stopped' && resolve()));

// page.waitForFunction compiles its predicate with eval in the page, which the dashboard's
// Content-Security-Policy forbids (as it should): poll with page.evaluate instead.
async function until(page, predicate, what) {
  const deadline = Date.now() + STEP_MS;
  while (Date.now() < deadline) {
    if (await page.evaluate(predicate)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('timed out waiting: ' + what);
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
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(admin + '/dashboard', { waitUntil: 'load' });
  expect(new URL(page.url()).pathname === '/dashboard/', 'the dashboard redirects to /dashboard/: ' + page.url());
  await page.waitForSelector('#status[data-state="live"]', { timeout: STEP_MS });
  await until(page, () => document.querySelectorAll('.node[data-service="http"][data-state="up"]').length === 2,
    'both http nodes drawn as serving');
  const members = await page.$$eval('.member', (m) => m.length);
  expect(members === 3, `three cluster members drawn, saw ${members}`);
  const local = await page.$$eval('.member[data-local="true"]', (m) => m.length);
  expect(local === 1, 'the gateway\'s own member is marked');

  // Traffic through the gateway shows on the route's figures and on the lines to the nodes.
  for (let i = 0; i < REQUESTS; i++) {
    const answer = await fetch(base + '/');
    expect(answer.status === 200, 'a request through the gateway answered ' + answer.status);
    await answer.arrayBuffer();
  }
  await until(page, () => {
    const route = document.querySelector('.route[data-route="/"]');
    return route !== null && Number(route.dataset.rps) > 0 && document.querySelectorAll('.link.busy').length === 2;
  }, 'traffic on the route and on the lines to both nodes');
  const sparkPoints = await page.$eval('.route[data-route="/"] polyline', (p) => p.getAttribute('points').split(' ').length);
  expect(sparkPoints === 60, `the sparkline covers a minute, second by second: ${sparkPoints} points`);

  if (process.env.DASHBOARD_SCREENSHOT) {
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT });
  }
  console.log('stop-node');
  await stopped;
  await until(page, () => document.querySelectorAll('.node[data-service="http"]').length === 1
    && document.querySelectorAll('.member').length === 2, 'the stopped node and its member gone from the picture');
  expect(errors.length === 0, 'no error in the page: ' + errors.join('; '));
  console.log('OK dashboard live, traffic drawn, a stopped node dropped');
} catch (e) {
  failed = true;
  console.error('FAILED: ' + (e && e.stack ? e.stack : e));
} finally {
  clearTimeout(overall);
  lines.close();
  await browser.close();
}
process.exit(failed ? 1 : 0);
