// Shared pieces of the dashboard's browser tests: a real `bosun serve` on a temporary state
// directory, its API, Debian's Chromium driven by playwright-core, and bounded waits.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Daemon as BaseDaemon } from '../support/daemon.mjs';

const webDir = process.env.BOSUN_WEB_DIR;
export const artifacts = process.env.BOSUN_WEB_ARTIFACTS ?? path.join(os.tmpdir(), 'bosun-web-artifacts');
if (!webDir) throw new Error('run through ctest: BOSUN_WEB_DIR must be set');

// playwright-core comes from the dashboard's own node_modules (installed by the build's npm ci).
const { chromium } = createRequire(path.resolve(webDir, 'package.json'))('playwright-core');

export const kChromium = '/usr/bin/chromium';

export { until } from '../support/daemon.mjs';

// A daemon on its own state directory; start() again after kill() restarts it on that directory.
export class Daemon extends BaseDaemon {
  constructor() {
    super('bosun-web-');
  }

  // `bosun --state DIR ARGS…` → stdout; a failure throws.
  async cli(...args) {
    const r = await this.run(args);
    if (r.code !== 0) throw new Error(`bosun ${args.join(' ')}: ${r.stderr || `exit ${r.code}`}`);
    return r.stdout;
  }
}

// Headless Chromium with a fresh profile; the flags keep it off the network but for loopback.
export async function launchBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: kChromium,
    headless: true,
    viewport: { width: 1360, height: 820 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, page: context.pages()[0] ?? (await context.newPage()), close };
}

export async function screenshot(page, name) {
  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
}

// The text of an agent's terminal panel (xterm's buffer, scrollback included).
export function terminalText(page, agentName) {
  return page.evaluate((name) => {
    for (const s of window.__bosunTerminals) {
      if (s.agentName === name) return s.text();
    }
    return '';
  }, agentName);
}

// Waits until the agent's terminal panel shows `text`.
export async function waitForTerminalText(page, agentName, text, timeout = 15000) {
  await page.waitForFunction(
    ([name, want]) => {
      for (const s of window.__bosunTerminals) if (s.agentName === name && s.text().includes(want)) return true;
      return false;
    },
    [agentName, text],
    { timeout },
  );
}

// Counts non-overlapping occurrences of `needle` in `hay`.
export function count(hay, needle) {
  return hay.split(needle).length - 1;
}
