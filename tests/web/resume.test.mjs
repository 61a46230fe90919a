// A terminal in the page survives a daemon restart: the agent keeps running under its holder,
// the page reconnects to the restarted daemon and resumes from the last byte it had, drawing
// nothing twice. Also: `bosun status` prints a link that logs the browser in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { count, Daemon, launchBrowser, screenshot, terminalText, waitForTerminalText } from './support.mjs';

const daemon = new Daemon();
let browser;
let page;

before(async () => {
  await daemon.start();
  browser = await launchBrowser();
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await daemon.stop();
});

test('the link from bosun status logs the browser in', async () => {
  const status = await daemon.cli('status');
  const url = status.match(/dashboard:\s+(http:\/\/\S+#token=\S+)/)?.[1];
  assert.ok(url, status);
  await page.goto(url);
  await page.locator('.view.crew').waitFor();
  assert.ok(!page.url().includes('token='), 'the token is taken out of the address bar');
});

test('the terminal resumes after the daemon restarts, without duplicated output', async () => {
  const agent = await daemon.api('POST', '/api/v1/agents', {
    name: 'sam',
    role: 'qa',
    argv: ['bash', '--norc', '--noprofile'],
    env: { PS1: 'sam$ ' },
  });
  await page.goto(`${daemon.url}/#/terminals/sam`);
  const panel = page.locator('.term-panel[data-agent=sam]');
  await panel.locator('[data-testid=term-link]', { hasText: 'live' }).waitFor();
  await waitForTerminalText(page, 'sam', 'sam$');
  await panel.locator('.term-host').click();
  await page.keyboard.type('echo before-$((6*7))');
  await page.keyboard.press('Enter');
  await waitForTerminalText(page, 'sam', '\nbefore-42');

  // Output made while no daemon runs waits in the holder's ring: the agent prints once the
  // test creates `go` in its working directory, which happens while the daemon is down.
  await page.keyboard.type('while [ ! -e go ]; do sleep 0.05; done; echo during-$((5*5))');
  await page.keyboard.press('Enter');
  await waitForTerminalText(page, 'sam', 'echo during-');
  await daemon.kill('SIGKILL');
  await panel.locator('[data-testid=term-link]', { hasText: 'reconnecting' }).waitFor();
  await page.locator('[data-testid=link]', { hasText: 'reconnecting' }).waitFor();
  fs.writeFileSync(path.join(daemon.root, 'go'), '');

  await daemon.start(daemon.address); // the same port: the page's own origin
  await panel.locator('[data-testid=term-link]', { hasText: 'live' }).waitFor({ timeout: 20000 });
  await page.locator('[data-testid=link]', { hasText: 'live' }).waitFor({ timeout: 20000 });

  await panel.locator('.term-host').click();
  await waitForTerminalText(page, 'sam', '\nduring-25');
  await page.keyboard.type('echo after-$((2+3))');
  await page.keyboard.press('Enter');
  await waitForTerminalText(page, 'sam', '\nafter-5');

  const text = await terminalText(page, 'sam');
  assert.equal(count(text, '\nbefore-42'), 1, text);
  assert.equal(count(text, '\nduring-25'), 1, text);
  assert.equal(count(text, '\nafter-5'), 1, text);
  const stats = await page.evaluate(() => [...window.__bosunTerminals].map((s) => ({ ...s.stats })));
  assert.equal(stats[0].duplicates, 0, 'the daemon resumed at the offset asked for');
  assert.ok(stats[0].reconnects >= 1);
  // The agent is the same process: the run did not restart.
  const now = await daemon.api('GET', `/api/v1/agents/${agent.id}`);
  assert.equal(now.generation, agent.generation);
  await screenshot(page, 'terminal-resumed');
});
