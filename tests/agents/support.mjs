// Shared pieces of the real-CLI tests: the CLIs installed by the build (tests/agents/package.json
// and its lock, `npm ci` into the build tree), a real `bosun serve` on a temporary state
// directory, its events WebSocket, a fresh HOME per CLI pointed at the fake model, and
// bounded waits. Run through ctest, which sets BOSUN_BINARY and BOSUN_AGENTS_DIR.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Daemon as BaseDaemon, bosun, until } from '../support/daemon.mjs';

export { bosun, until };

const agentsDir = process.env.BOSUN_AGENTS_DIR;
if (!agentsDir) throw new Error('run through ctest: BOSUN_BINARY and BOSUN_AGENTS_DIR must be set');
if (typeof WebSocket !== 'function') throw new Error('run node with --experimental-websocket (Node 20)');

// The installed CLI binaries and the versions the tests pin (package.json).
export const bin = (name) => path.join(agentsDir, 'node_modules', '.bin', name);
const pinned = JSON.parse(fs.readFileSync(path.join(agentsDir, 'package.json'), 'utf8')).dependencies;
export const versions = {
  claude: pinned['@anthropic-ai/claude-code'],
  codex: pinned['@openai/codex'],
  gemini: pinned['@google/gemini-cli'],
  opencode: pinned['opencode-ai'],
};

// The environment every process here starts from: no variable of the machine's own agents or
// model keys, only what a terminal program needs.
export function baseEnv(home) {
  return { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', TERM: 'xterm-256color', TMPDIR: os.tmpdir() };
}

// A module of the MCP TypeScript SDK, from the same node_modules ("client/index.js").
export const mcpSdk = (module) =>
  import(pathToFileURL(path.join(agentsDir, 'node_modules', '@modelcontextprotocol', 'sdk', 'dist', 'esm', module)).href);

export const pause = (ms) => new Promise((r) => setTimeout(r, ms));

// A daemon on its own state directory, started with a clean environment (a HOME of its own).
export class Daemon extends BaseDaemon {
  constructor() {
    super('bosun-agents-');
    this.home = path.join(this.root, 'home');
    fs.mkdirSync(this.home);
    this.env = baseEnv(this.home);
  }

  // `bosun --state DIR ARGS…` → {code, stdout, stderr}.
  cli(args, env = {}) {
    return this.run(args, env);
  }
}

// The daemon's events WebSocket; every event is kept so a wait never misses one that came early.
export class Events {
  static async open(daemon) {
    const e = new Events();
    e.seen = [];
    e.waiters = [];
    e.ws = new WebSocket(`ws://${daemon.address}/api/v1/events?token=${daemon.token}`);
    e.ws.onmessage = (m) => {
      const ev = JSON.parse(m.data);
      e.seen.push(ev);
      for (const w of [...e.waiters]) w();
    };
    await new Promise((resolve, reject) => {
      e.ws.onopen = resolve;
      e.ws.onerror = () => reject(new Error('events socket failed'));
    });
    e.cursor = 0;
    return e;
  }

  close() {
    this.ws.close();
  }

  // The next event after the cursor (events already read by a wait are skipped) of `type` (or
  // of one of the types in an array) for `subject` whose data satisfies `match`; throws `what`
  // after `ms`.
  wait(what, type, subject, match = () => true, ms = 30000) {
    return new Promise((resolve, reject) => {
      const look = () => {
        while (this.cursor < this.seen.length) {
          const ev = this.seen[this.cursor++];
          if ((Array.isArray(type) ? type.includes(ev.type) : ev.type === type) && (!subject || ev.subject === subject) && match(ev.data ?? {})) {
            done();
            resolve(ev);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        done();
        const states = this.seen.filter((ev) => ev.type === 'agent.state' && ev.subject === subject)
          .map((ev) => `${ev.data.state}/${ev.data.source}/${ev.data.evidence}`);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; states so far: ${states.join(' → ')}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== look);
      };
      this.waiters.push(look);
      look();
    });
  }

  // The agent's state changes so far, as "state/source".
  states(subject) {
    return this.seen.filter((ev) => ev.type === 'agent.state' && ev.subject === subject).map((ev) => `${ev.data.state}/${ev.data.source}`);
  }
}

// Runs a program to its end with its stdin closed; → {code, stdout, stderr}. Bounded by `ms`.
export function run(argv, { cwd, env, ms = 60000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, signal, stdout, stderr });
    });
  });
}

// A fresh HOME and work folder for one CLI, configured to use the fake model at `url` and to
// skip every first-run screen; → {home, work, env} (env: what the CLI needs on top of baseEnv).
// The CLIs' own retries of a failed request are off (a test sees the error at once) unless
// `retries` is true. `trust` adds folders with the person's answer to the CLI's trust dialog
// ({path: true|false}; Claude Code, Codex and Gemini CLI).
export function prepareCli(cli, url, root, { retries = false, trust = {} } = {}) {
  const home = path.join(root, `${cli}-home`);
  const work = path.join(root, `${cli}-work`);
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(work, { recursive: true });
  const write = (file, text) => {
    fs.mkdirSync(path.dirname(path.join(home, file)), { recursive: true });
    fs.writeFileSync(path.join(home, file), text);
  };
  let env;
  switch (cli) {
    case 'claude':
      write('.claude.json', JSON.stringify({
        hasCompletedOnboarding: true,
        theme: 'dark',
        customApiKeyResponses: { approved: ['dummy'], rejected: [] },
        projects: {
          [work]: { hasTrustDialogAccepted: true },
          ...Object.fromEntries(Object.entries(trust).map(([dir, yes]) => [dir, { hasTrustDialogAccepted: yes }])),
        },
      }));
      env = {
        ANTHROPIC_BASE_URL: url,
        ANTHROPIC_API_KEY: 'dummy',
        DISABLE_TELEMETRY: '1',
        DISABLE_ERROR_REPORTING: '1',
        DISABLE_AUTOUPDATER: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        ...(retries ? {} : { CLAUDE_CODE_MAX_RETRIES: '0' }),
      };
      break;
    case 'codex':
      write('.codex/config.toml', [
        'model = "gpt-5.5"',
        'model_provider = "fake"',
        'approval_policy = "on-request"',
        '[model_providers.fake]',
        'name = "Fake local"',
        `base_url = "${url}/v1"`,
        'wire_api = "responses"',
        'env_key = "FAKE_OPENAI_KEY"',
        ...(retries ? [] : ['request_max_retries = 0', 'stream_max_retries = 0']),
        '[notice.model_migrations]',
        '"gpt-5.5" = "gpt-6-sol"',
        `[projects."${work}"]`,
        'trust_level = "trusted"',
        ...Object.entries(trust).flatMap(([dir, yes]) => [`[projects."${dir}"]`, `trust_level = "${yes ? 'trusted' : 'untrusted'}"`]),
        '',
      ].join('\n'));
      env = { FAKE_OPENAI_KEY: 'dummy' };
      break;
    case 'gemini':
      write('.gemini/settings.json', JSON.stringify({
        security: { auth: { selectedType: 'gemini-api-key' } },
        privacy: { usageStatisticsEnabled: false },
        general: { disableAutoUpdate: true, disableUpdateNag: true },
      }));
      write('.gemini/trustedFolders.json', JSON.stringify({
        [work]: 'TRUST_FOLDER',
        ...Object.fromEntries(Object.entries(trust).map(([dir, yes]) => [dir, yes ? 'TRUST_FOLDER' : 'DO_NOT_TRUST'])),
      }));
      env = { GEMINI_API_KEY: 'dummy', GOOGLE_GEMINI_BASE_URL: url };
      break;
    case 'opencode':
      write('.config/opencode/opencode.json', JSON.stringify({
        autoupdate: false,
        share: 'disabled',
        provider: {
          fake: {
            npm: '@ai-sdk/openai-compatible',
            name: 'Fake local',
            options: { baseURL: `${url}/v1`, apiKey: 'dummy' },
            models: { 'fake-model': { name: 'Fake model', tool_call: true } },
          },
        },
        model: 'fake/fake-model',
        small_model: 'fake/fake-model',
        permission: { bash: 'ask', edit: 'ask' },
      }));
      env = { OPENCODE_DISABLE_MODELS_FETCH: '1', OPENCODE_DISABLE_AUTOUPDATE: '1' };
      break;
    default:
      throw new Error(`no such CLI ${cli}`);
  }
  return { home, work, env: { ...env, HOME: home } };
}

// `bosun detect --profile P --events FILE --json` on a headless stream → the parsed reading.
export async function detectStream(daemon, profile, stream) {
  const file = path.join(daemon.root, `${profile}-${Date.now()}.jsonl`);
  fs.writeFileSync(file, stream);
  const r = await daemon.cli(['detect', '--profile', profile, '--as', 'events', '--json', file]);
  if (!r.stdout.trim().startsWith('{')) throw new Error(`bosun detect: ${r.code} ${r.stderr}`);
  return { code: r.code, reading: JSON.parse(r.stdout) };
}

// Why bubblewrap cannot sandbox here (it cannot make its namespaces), or false when it can.
// Makes `repo` a git repository on `main` whose first commit holds what is in it, as a person
// following a quickstart would; asserts each step.
export async function commitRepo(repo, message) {
  for (const args of [['init', '-q', '-b', 'main'], ['config', 'user.name', 'Quick Start'],
    ['config', 'user.email', 'quick@bosun.invalid'], ['add', '-A'], ['commit', '-q', '-m', message]]) {
    const r = await run(['git', '-C', repo, ...args]);
    if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  }
}

export async function bwrapUnusable() {
  const r = await run(['bwrap', '--ro-bind', '/', '/', '--unshare-pid', 'true']);
  return r.code === 0 ? false : 'bwrap cannot make namespaces on this machine';
}

// The shell command of a coder's whole turn on task `id`: a file, a commit on its branch, the
// report and the mail, as bosun asks an agent to finish.
export function commitAndReport(id) {
  const report = JSON.stringify({
    status: 'done',
    summary: `${id}: wrote ${id}.txt`,
    changes: [{ file: `${id}.txt`, description: 'created' }],
    proof: { what_was_done: `created ${id}.txt`, how_verified: `cat ${id}.txt`, verification_result: 'it holds the task id' },
  });
  return `echo ${id} > ${id}.txt && git add ${id}.txt && git commit -q -m "${id}" && echo '${report}' | ${bosun} report submit - && ${bosun} mail done "Finished ${id}"`;
}

// A fake model's script for a crew: the latest [TASK] in the conversation (the CLIs send it
// all) is answered with commitAndReport, anything else with a plain answer.
export function crewScript(prompt) {
  const tasks = [...prompt.matchAll(/\[TASK\]\s+(t_[A-Za-z0-9]+)/g)];
  if (tasks.length) return { tool: { command: commitAndReport(tasks.at(-1)[1]), description: 'Finish the task' } };
  return { text: 'Ready.' };
}
