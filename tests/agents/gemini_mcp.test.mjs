// Gemini CLI with bosun's MCP endpoint wired in by its profile: a settings file bosun writes
// for the agent (mcpServers.bosun, the Authorization header filled from the agent's own
// BOSUN_TOKEN) named by GEMINI_CLI_SYSTEM_DEFAULTS_PATH, under the user's own settings.
// `gemini mcp list` in such an agent connects to the endpoint; with a wrong token it cannot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Daemon, bin, prepareCli, until, versions } from './support.mjs';

// Gemini CLI skips a settings file with a world-writable folder above it (such as /tmp), so
// this daemon's state goes under the build folder, as a user's goes under their repository.
const parent = path.join(path.dirname(path.dirname(path.dirname(bin('gemini')))), 'tmp');
fs.mkdirSync(parent, { recursive: true, mode: 0o755 });
process.env.TMPDIR = parent;
const d = new Daemon('bosun-gemini-');

before(async () => {
  await d.start();
});
after(async () => {
  await d.stop();
});

// An agent of profile gemini whose program is a shell running `gemini mcp list` (`prefix`
// goes before it, a variable say).
async function listing(name, prefix = '') {
  const { work, env } = prepareCli('gemini', 'http://127.0.0.1:9', path.join(d.root, name));
  const agent = await d.api('POST', '/api/v1/agents', {
    name, profile: 'gemini', cwd: work, env,
    argv: ['bash', '--norc', '--noprofile', '-c', `${prefix} ${bin('gemini')} mcp list; exec sleep 600`],
  });
  let screen = '';
  await until(`${name}: gemini lists its MCP servers`, async () => {
    screen = await d.screen(agent.id);
    return /bosun: .*(Connected|Disconnected)/.test(screen);
  }, 60000);
  return { agent, screen };
}

test(`gemini ${versions.gemini}: an agent's Gemini CLI connects to bosun's MCP endpoint with its token`, async () => {
  const { agent, screen } = await listing('gem');
  assert.match(screen, new RegExp(`bosun: ${d.url}/mcp \\(http\\) - Connected`), screen);
  const file = path.join(d.state, 'agents', 'gem', 'mcp.json');
  const settings = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(settings.mcpServers.bosun.httpUrl, `${d.url}/mcp`);
  assert.equal(settings.mcpServers.bosun.headers.Authorization, 'Bearer ${BOSUN_TOKEN}');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.ok(!fs.readFileSync(file, 'utf8').includes(d.token));
  assert.equal(agent.profile, 'gemini');
  // The user's own settings and servers stay theirs: nothing was written in their home.
  const home = path.join(d.root, 'gem', 'gemini-home', '.gemini', 'settings.json');
  assert.ok(!fs.readFileSync(home, 'utf8').includes('bosun'));
});

test(`gemini ${versions.gemini}: with another token it cannot connect`, async () => {
  const { screen } = await listing('gem-wrong', 'BOSUN_TOKEN=wrong');
  assert.match(screen, /bosun: .*Disconnected/, screen);
});
