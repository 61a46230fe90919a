// Screenshots of the dashboard showing a running `bosun demo`, for docs/screenshots/. Not a
// test; run it while `bosun demo --dir DIR` works (BOSUN_WEB_DIR as for the tests):
//   BOSUN_BINARY=$PWD/build/bosun BOSUN_WEB_DIR=build/web node tests/web/screenshots.mjs DIR OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser } from './support.mjs';

const [dir, out = 'docs/screenshots'] = process.argv.slice(2);
const state = path.join(dir, '.bosun');
const address = fs.readFileSync(path.join(state, 'run', 'address'), 'utf8').trim();
const token = fs.readFileSync(path.join(state, 'token'), 'utf8').trim();
const url = `http://${address}`;
fs.mkdirSync(out, { recursive: true });

const browser = await launchBrowser();
const { page } = browser;
try {
  await page.goto(`${url}/#token=${token}`);
  await page.locator('.view.crew .agent-card').first().waitFor();
  // Wait for the crew to be at work: some task held by an agent.
  await page.locator('.agent-card dd a').first().waitFor({ timeout: 60000 });
  // Every card shows a line its agent printed (not "no output yet").
  await page.waitForFunction(() => [...document.querySelectorAll('.last-line')].every((e) => !e.classList.contains('muted')));
  await page.screenshot({ path: path.join(out, 'demo-crew.png') });
  await page.goto(`${url}/#/board`);
  await page.locator('.column[data-column=done] .task-card').first().waitFor({ timeout: 90000 });
  await page.screenshot({ path: path.join(out, 'demo-board.png') });
  const names = await page.evaluate(async () => {
    const r = await fetch('/api/v1/agents');
    return (await r.json()).agents.map((a) => a.name);
  });
  await page.goto(`${url}/#/terminals/${names.slice(0, 2).join(',')}`);
  await page.locator('.term-panel [data-testid=term-link]', { hasText: 'live' }).first().waitFor();
  await page.waitForFunction(() => [...window.__bosunTerminals].every((s) => s.stats.bytes > 0));
  await page.screenshot({ path: path.join(out, 'demo-terminals.png') });
} finally {
  await browser.close();
}
