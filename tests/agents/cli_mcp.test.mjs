// Real CLIs with bosun's MCP endpoint wired in by their profiles: a permanent Claude Code agent
// given a [TASK] by the supervisor, and headless runs of Claude Code and opencode for a task,
// each finish it through bosun's `claim`, `report` and `done` tools over MCP — no shell
// command — and the task moves on bosun's check. A headless Codex run reads its instructions
// from bosun's server as the agent (Codex hides MCP tools behind its tool_search, which the
// fake model does not speak; its resource tool is always offered).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { bin, prepareCli, until, versions } from './support.mjs';
import { crew, spawnCli } from './tui.mjs';

const proof = { what_was_done: 'read the task', how_verified: 'looked at it', verification_result: 'it is clear' };

// A task typed by the supervisor is already the agent's: the first turn calls `report`. A
// headless run's prompt (bosun run --task) is not yet: it calls `claim` first. Each tool's
// result brings the next call: claim → report → done → a closing text. Each CLI names MCP
// tools its own way; the task's title says which CLI is asked.
const names = { claude: (tool) => `mcp__bosun__${tool}`, opencode: (tool) => `bosun_${tool}` };
const cliOf = (text) => (text.includes('for opencode') ? 'opencode' : 'claude');
const call = (cli, tool, input) => ({ tool: { name: names[cli](tool), input } });
const reportCall = (cli, id) =>
  call(cli, 'report', { task: id, status: 'done', summary: `${id}: done over MCP`, changes: [], proof });
const script = (prompt) => {
  // Codex offers MCP tools through its tool_search; its own resource tool reads bosun's.
  if (prompt.includes('instructions for codex')) {
    return { tool: { name: 'read_mcp_resource', input: { server: 'bosun', uri: 'bosun://instructions' } } };
  }
  const typed = prompt.match(/\[TASK\]\s+(t_[A-Za-z0-9]+)\s.*— run: bosun task show/);
  if (typed) return reportCall('claude', typed[1]);
  const run = prompt.match(/\[TASK\]\s+(t_[A-Za-z0-9]+)/);
  if (run) return call(cliOf(prompt), 'claim', { task: run[1] });
  return { text: 'Nothing to do.' };
};
const afterTool = (result) => {
  if (result.includes('bosun://instructions')) return { text: 'Read my instructions over MCP.' };
  const cli = cliOf(result);
  const reported = result.match(/"task_id":\s*"(t_[A-Za-z0-9]+)"/);
  if (result.includes('check_log') && reported) {
    return call(cli, 'done', { task: reported[1], text: `Finished ${reported[1]} over MCP` });
  }
  if (/"type":\s*"done"/.test(result)) return { text: 'Reported and told the supervisor.' };
  const claimed = result.match(/"id":\s*"(t_[A-Za-z0-9]+)"/);
  if (claimed) return reportCall(cli, claimed[1]);
  return { text: `Unexpected: ${result.slice(0, 100)}` };
};

const c = crew(script, { afterTool });

// The tool results about `task` the model got back.
function toolResults(task) {
  return c.model.requests.filter((r) => r.afterTool && r.prompt.includes(task.id)).length;
}

async function finishedOverMcp(task, agentName, agentId) {
  const done = await c.events.wait('mail done from the agent', 'message.created', '',
    (m) => m.type === 'done' && m.from === agentName && m.task_id === task.id, 90000)
    .catch(async (e) => assert.fail(`${e.message}\nmodel saw: ${JSON.stringify(c.model.requests.filter((r) => r.afterTool).map((r) => r.prompt.slice(0, 300)))}`));
  assert.match(done.data.subject, /over MCP/);
  const reports = await c.daemon.api('GET', `/api/v1/tasks/${task.id}/reports`);
  assert.equal(reports.reports.length, 1);
  assert.equal(reports.reports[0].agent_id, agentId);
  assert.match(reports.reports[0].summary ?? JSON.stringify(reports.reports[0]), /done over MCP/);
  await until('the task checked and done', async () =>
    (await c.daemon.api('GET', `/api/v1/tasks/${task.id}`)).status === 'done', 30000);
  // The tools ran over MCP: every tool result the model got back is bosun's JSON, none a shell's.
  for (const r of c.model.requests.filter((q) => q.afterTool)) assert.match(r.prompt, /^\s*[{[]/, r.prompt.slice(0, 200));
}

test(`claude ${versions.claude}: a permanent agent reports and says done through bosun's MCP tools`, async () => {
  const { id, agent } = await spawnCli(c.daemon, c.model, 'claude', 'dev', null, { role: 'dev' });
  const at = agent.argv.indexOf('--mcp-config');
  assert.ok(at > 0, agent.argv.join(' '));
  const config = JSON.parse(fs.readFileSync(agent.argv[at + 1], 'utf8'));
  assert.equal(config.mcpServers.bosun.url, `${c.daemon.url}/mcp`);
  assert.ok(!fs.readFileSync(agent.argv[at + 1], 'utf8').includes(c.daemon.token), 'a token was written down');
  await c.events.wait('claude idle at its composer', 'agent.state', id, (d) => d.state === 'idle', 60000);
  const task = await c.daemon.api('POST', '/api/v1/tasks', { title: 'Look at the plan', role: 'dev' });
  await finishedOverMcp(task, 'dev', id);
  // bosun's tools need no permission: the agent never waited for a person.
  assert.ok(!c.events.states(id).includes('waiting_input'), c.events.states(id).join(' → '));
});

for (const cli of ['claude', 'opencode']) {
  test(`${cli} ${versions[cli]}: a headless run claims, reports and says done through bosun's MCP tools`, async () => {
    // An agent whose folder, environment and profile the run uses (its own program is a shell).
    const { work, env } = prepareCli(cli, c.model.url, `${c.daemon.root}/${cli}-runner`);
    const agent = await c.daemon.api('POST', '/api/v1/agents', {
      name: `${cli}-runner`, profile: cli, argv: ['bash', '--norc', '--noprofile'], cwd: work,
      env: { ...env, PATH: `${path.dirname(bin(cli))}:${process.env.PATH}` },
    });
    const task = await c.daemon.api('POST', '/api/v1/tasks', { title: `Headless look for ${cli}`, role: 'nobody' });
    const r = await c.daemon.cli(['run', agent.name, '--task', task.id, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const run = JSON.parse(r.stdout);
    if (cli === 'claude') assert.ok(run.argv.includes('--mcp-config'), run.argv.join(' '));
    await finishedOverMcp(task, agent.name, agent.id);
    assert.equal(toolResults(task), 3, 'claim, report and done, nothing else');
    assert.equal((await c.daemon.api('GET', `/api/v1/tasks/${task.id}`)).assignee, agent.id);
  });
}

test(`codex ${versions.codex}: a headless run reaches bosun's MCP server as its agent`, async () => {
  const { work, env } = prepareCli('codex', c.model.url, `${c.daemon.root}/codex-runner`);
  const agent = await c.daemon.api('POST', '/api/v1/agents', {
    name: 'codex-runner', profile: 'codex', argv: ['bash', '--norc', '--noprofile'], cwd: work,
    env: { ...env, PATH: `${path.dirname(bin('codex'))}:${process.env.PATH}` },
  });
  const before = c.model.requests.length;
  const r = await c.daemon.cli(['run', agent.name, 'Read your instructions for codex', '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const run = JSON.parse(r.stdout);
  assert.ok(run.argv.includes(`mcp_servers.bosun.url="${c.daemon.url}/mcp"`), run.argv.join(' '));
  assert.ok(!run.argv.join(' ').includes(c.daemon.token));
  await until('the run finished', async () =>
    (await c.daemon.api('GET', `/api/v1/runs/${run.id}`)).state !== 'running', 90000);
  // The resource came back from bosun: this agent's own instructions.
  const results = c.model.requests.slice(before).filter((q) => q.afterTool).map((q) => q.prompt);
  assert.ok(results.some((p) => p.includes('bosun://instructions') && p.includes('codex-runner')),
    JSON.stringify(results).slice(0, 2000));
  assert.equal((await c.daemon.api('GET', `/api/v1/runs/${run.id}`)).success, true);
});
