// What the Node test suites (tests/web, tests/agents) share: a real `bosun serve` on a
// temporary state directory, its API and CLI, a clean stop, and bounded waits. Run through
// ctest, which sets BOSUN_BINARY.
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const bosun = process.env.BOSUN_BINARY;
if (!bosun) throw new Error('run through ctest: BOSUN_BINARY must be set');

// Polls `check` until it returns a truthy value (returned) or `ms` pass (throws `what`). Only
// for conditions no event announces (a file appearing, text on a screen, a process ending).
export async function until(what, check, ms = 15000, every = 25) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

// A daemon on its own state directory under a new temporary folder (its real path: CLIs
// compare paths); start() again after kill() restarts it on that directory. `env`: the
// environment of the daemon and of `run` (default: this process's).
export class Daemon {
  constructor(prefix = 'bosun-test-', env = undefined) {
    this.root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
    this.state = path.join(this.root, '.bosun');
    this.env = env;
    this.proc = null;
    this.address = '';
    this.token = '';
    this.stderr = '';
  }

  // `args`: more of `serve`'s options (a shared store and a host name, say).
  async start(listen = '127.0.0.1:0', args = []) {
    const addressFile = path.join(this.state, 'run', 'address');
    fs.rmSync(addressFile, { force: true });
    this.proc = spawn(bosun, ['serve', '--state', this.state, '--listen', listen, '--quiet', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: this.env,
    });
    this.proc.stderr.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.proc.once('exit', resolve));
    // The daemon writes run/address last, once it answers.
    await until('the daemon to write run/address', () => {
      if (this.proc.exitCode !== null) throw new Error(`bosun serve exited: ${this.stderr}`);
      return fs.existsSync(addressFile);
    });
    this.address = fs.readFileSync(addressFile, 'utf8').trim();
    this.token = fs.readFileSync(path.join(this.state, 'token'), 'utf8').trim();
    this.url = `http://${this.address}`;
    return this;
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

  // `bosun --state DIR ARGS…` → {code, stdout, stderr}; `env` on top of the daemon's.
  run(args, env = {}) {
    return new Promise((resolve) =>
      execFile(bosun, ['--state', this.state, ...args], { env: { ...(this.env ?? process.env), ...env } },
        (err, stdout, stderr) => resolve({ code: err ? err.code ?? 1 : 0, stdout, stderr })),
    );
  }

  // The agent's screen as text rows.
  async screen(id) {
    return (await this.api('GET', `/api/v1/agents/${id}/screen`)).lines.join('\n');
  }

  // Stops every agent and the daemon; whatever still runs from this folder (holders left by a
  // failed test) is killed by pid, so no process outlives the test.
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
        if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.root)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
