// Shared pieces of the dashboard's browser tests: a real `bosun serve` on a temporary state
// directory, its API, Debian's Chromium driven by playwright-core, and bounded waits.
import { spawn, execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const bosun = process.env.BOSUN_BINARY;
const webDir = process.env.BOSUN_WEB_DIR;
export const artifacts = process.env.BOSUN_WEB_ARTIFACTS ?? path.join(os.tmpdir(), 'bosun-web-artifacts');
if (!bosun || !webDir) throw new Error('run through ctest: BOSUN_BINARY and BOSUN_WEB_DIR must be set');

// playwright-core comes from the dashboard's own node_modules (installed by the build's npm ci).
const { chromium } = createRequire(path.resolve(webDir, 'package.json'))('playwright-core');

export const kChromium = '/usr/bin/chromium';

// Polls `check` until it returns a truthy value (returned) or `ms` pass (throws `what`). For
// conditions outside the browser that no event announces (a file appearing, a process ending).
export async function until(what, check, ms = 10000, every = 25) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

// A daemon on its own state directory; start() again after kill() restarts it on that directory.
export class Daemon {
  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-web-'));
    this.state = path.join(this.root, '.bosun');
    this.proc = null;
    this.address = '';
    this.token = '';
    this.stderr = '';
  }

  async start(listen = '127.0.0.1:0') {
    const addressFile = path.join(this.state, 'run', 'address');
    fs.rmSync(addressFile, { force: true });
    this.proc = spawn(bosun, ['serve', '--state', this.state, '--listen', listen, '--quiet'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc.stderr.on('data', (d) => (this.stderr += d));
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    this.exited = exited;
    // The daemon writes run/address last, once it answers.
    await until('the daemon to write run/address', () => {
      if (this.proc.exitCode !== null) throw new Error(`bosun serve exited: ${this.stderr}`);
      return fs.existsSync(addressFile);
    });
    this.address = fs.readFileSync(addressFile, 'utf8').trim();
    this.token = fs.readFileSync(path.join(this.state, 'token'), 'utf8').trim();
    this.url = `http://${this.address}`;
  }

  async kill(signal = 'SIGKILL') {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill(signal);
    await this.exited;
  }

  // One API call with the daemon token; returns the parsed body, throws on an error status.
  async api(method, route, body) {
    const res = await fetch(this.url + route, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  // `bosun --state DIR ARGS…` → stdout.
  cli(...args) {
    return new Promise((resolve, reject) =>
      execFile(bosun, ['--state', this.state, ...args], (err, stdout, stderr) =>
        err ? reject(new Error(`bosun ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
      ),
    );
  }

  // Stops every agent and the daemon; whatever still runs from this state directory (holders
  // left by a failed test) is killed by pid, so no process outlives the test.
  async stop() {
    try {
      if (this.proc && this.proc.exitCode === null) {
        const { agents } = await this.api('GET', '/api/v1/agents');
        await Promise.all(agents.map((a) => this.api('DELETE', `/api/v1/agents/${a.id}`).catch(() => {})));
        await until('the agents to stop', async () => (await this.api('GET', '/api/v1/agents')).agents.length === 0);
      }
    } catch {
      // Fall through to the kill below.
    }
    await this.kill('SIGTERM');
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.state)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    fs.rmSync(this.root, { recursive: true, force: true });
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
