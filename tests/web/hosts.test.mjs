// A crew across hosts in the dashboard: two daemons ("hosts") on one PostgreSQL store. Either
// daemon's Hosts view lists both, with their agents and leases, and shows a host that went away
// as lost; an agent of the other host opens in this daemon's terminals, its daemon relaying.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon, launchBrowser, screenshot, terminalText, waitForTerminalText } from './support.mjs';
import { PgCluster } from '../support/pg.mjs';

const skip = PgCluster.installed() ? false : 'PostgreSQL is not installed here (scripts/deps installs it)';
const pg = new PgCluster();
const h1 = new Daemon();
const h2 = new Daemon();
const hostArgs = (name) => ['--store', pg.url(), '--host-name', name, '--host-lease-ms', '1500'];
let browser;
let page;

before(async () => {
  if (skip) return;
  await pg.start();
  await h1.start('127.0.0.1:0', hostArgs('h1'));
  await h2.start('127.0.0.1:0', hostArgs('h2'));
  browser = await launchBrowser();
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await h2.stop();
  await h1.stop();
  await pg.stop();
});

test('the Hosts view lists every host with its agents and lease', { skip }, async () => {
  await h2.api('POST', '/api/v1/agents', {
    name: 'kai',
    argv: ['sh', '-c', 'echo ready-on-h2; while read l; do echo "h2 got:$l"; done'],
  });
  await page.goto(`${h1.url}/#token=${h1.token}`);
  await page.locator('.view.crew').waitFor();
  await page.locator('nav a[data-view=hosts]').click();
  const mine = page.locator('tr[data-host=h1]');
  const theirs = page.locator('tr[data-host=h2]');
  await mine.waitFor();
  assert.match(await mine.innerText(), /this daemon/);
  assert.equal(await theirs.getAttribute('data-state'), 'up');
  await theirs.locator('[data-testid=host-agents]', { hasText: '1 (' }).waitFor();
  assert.match(await theirs.locator('[data-testid=host-lease]').innerText(), /s left/);
  await screenshot(page, 'hosts');
});

test("another host's agent opens in this daemon's terminals", { skip }, async () => {
  await page.goto(`${h1.url}/#/terminals/kai`);
  const panel = page.locator('.term-panel[data-agent=kai]');
  await panel.locator('[data-testid=term-link]', { hasText: 'live' }).waitFor();
  await waitForTerminalText(page, 'kai', 'ready-on-h2');
  await panel.locator('.term-host').click();
  await page.keyboard.type('typed in h1');
  await page.keyboard.press('Enter');
  await waitForTerminalText(page, 'kai', 'h2 got:typed in h1');
  assert.match(await h2.screen('kai'), /h2 got:typed in h1/, 'the keys reached the agent on h2');
  assert.match(await terminalText(page, 'kai'), /ready-on-h2/);
});

test('a host that went away shows lost, and since when', { skip }, async () => {
  await h2.kill('SIGKILL');
  await page.goto(`${h1.url}/#/hosts`);
  const theirs = page.locator('tr[data-host=h2][data-state=lost]');
  await theirs.waitFor({ timeout: 20000 });
  assert.match(await theirs.locator('[data-testid=host-lease]').innerText(), /unreachable since/);
  await screenshot(page, 'hosts-lost');
  // Back, so that its agent is stopped with it.
  await h2.start('127.0.0.1:0', hostArgs('h2'));
  await page.locator('tr[data-host=h2][data-state=up]').waitFor({ timeout: 20000 });
});
