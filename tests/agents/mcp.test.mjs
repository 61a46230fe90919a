// bosun's MCP endpoint (POST /mcp) through the official TypeScript SDK client: initialize, the
// tool list, every tool's happy path, bad input that changes nothing, an agent that tries to act
// on another's work, a missing or wrong token and a foreign Origin. The agents are plain shells
// (no role, so the supervisor hands them nothing); their tokens are read off their screens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Daemon, mcpSdk, until } from './support.mjs';

const { Client } = await mcpSdk('client/index.js');
const { StreamableHTTPClientTransport } = await mcpSdk('client/streamableHttp.js');

const d = new Daemon();
const agents = {}; // name → {id, token, client}

// An MCP client speaking with `token`.
async function connect(token) {
  const client = new Client({ name: 'bosun-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${d.url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

const git = (cwd, ...args) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@bosun.invalid', ...args], { cwd, encoding: 'utf8' });

// A shell agent that prints its own token; returns it once it is on the screen.
async function spawnAgent(name, extra = {}) {
  const agent = await d.api('POST', '/api/v1/agents', {
    name,
    argv: ['bash', '--norc', '--noprofile', '-c', 'echo "TOKEN=$BOSUN_TOKEN=END"; exec sleep 1000'],
    ...extra,
  });
  let token;
  await until(`${name}'s token on its screen`, async () => {
    token = (await d.screen(agent.id)).match(/TOKEN=(\S+)=END/)?.[1];
    return token;
  });
  return { id: agent.id, token, agent, client: await connect(token) };
}

// A tool call's JSON (the structured content), failing the test on a tool error.
async function call(client, name, args = {}) {
  const r = await client.callTool({ name, arguments: args });
  assert.ok(!r.isError, `${name} ${JSON.stringify(args)}: ${r.content?.[0]?.text}`);
  assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent ?? JSON.parse(r.content[0].text));
  return JSON.parse(r.content[0].text);
}

// A tool call that must fail as a tool error; returns its text.
async function refused(client, name, args, pattern) {
  const r = await client.callTool({ name, arguments: args });
  assert.equal(r.isError, true, `${name} ${JSON.stringify(args)} was not refused: ${r.content?.[0]?.text}`);
  assert.match(r.content[0].text, pattern);
  return r.content[0].text;
}

// A raw POST /mcp, for what the SDK never sends.
function post(body, headers = {}) {
  return fetch(`${d.url}/mcp`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${d.token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

before(async () => {
  await d.start();
  agents.person = { client: await connect(d.token) };
  for (const name of ['kai', 'ana']) agents[name] = await spawnAgent(name);
});

after(async () => {
  for (const a of Object.values(agents)) await a.client?.close().catch(() => {});
  await d.stop();
});

test('initialize names bosun and the revision; every tool is listed with a schema for a model', async () => {
  const { client } = agents.kai;
  assert.equal(client.getServerVersion().name, 'bosun');
  assert.match(client.getInstructions(), /report/);
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name).sort();
  assert.deepEqual(names, ['agents', 'blocked', 'claim', 'comment', 'decision_add', 'decisions', 'done', 'handoff',
    'inbox', 'instructions', 'journal_add', 'read', 'ready', 'report', 'send', 'show', 'status', 'step', 'update'].sort());
  for (const t of tools) {
    assert.equal(t.inputSchema.type, 'object', t.name);
    assert.ok(t.description.length > 20, t.name);
  }
  assert.equal(tools.find((t) => t.name === 'ready').annotations.readOnlyHint, true);
  assert.equal(tools.find((t) => t.name === 'claim').annotations.readOnlyHint, false);
  // The protocol revision the daemon answered with is one the SDK speaks.
  const init = await (await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })).json();
  assert.equal(init.result.protocolVersion, '2025-11-25');
});

test('a task from ready to done through the tools, as the agent itself', async () => {
  const kai = agents.kai.client;
  const task = await d.api('POST', '/api/v1/tasks', { title: 'Write the parser', description: 'Parse it.' });
  const ready = await call(kai, 'ready');
  assert.ok(ready.tasks.some((t) => t.id === task.id), JSON.stringify(ready));

  const claimed = await call(kai, 'claim', { task: task.id });
  assert.equal(claimed.task?.assignee ?? claimed.assignee, agents.kai.id, JSON.stringify(claimed));
  await call(kai, 'update', { status: 'in_progress', reason: 'starting' });
  const shown = await call(kai, 'show');  // no id: its current task
  assert.equal(shown.id, task.id);
  assert.equal(shown.status, 'in_progress');
  await call(kai, 'comment', { body: 'halfway there' });
  assert.equal((await call(kai, 'show', { task: task.id })).comments.at(-1).body, 'halfway there');
  await call(kai, 'status', { text: 'parsing works for numbers' });

  // A done without proof is refused and changes nothing.
  await refused(kai, 'report', { status: 'done', summary: 'did it' }, /proof_required/);
  assert.equal((await d.api('GET', `/api/v1/tasks/${task.id}`)).status, 'in_progress');

  const report = await call(kai, 'report', {
    status: 'done',
    summary: 'parser written',
    changes: [{ file: 'parser.c', description: 'new' }],
    proof: { what_was_done: 'wrote parser.c', how_verified: 'ran it', verification_result: 'it parsed' },
  });
  // The answer carries bosun's own check of the report, not only the agent's word.
  assert.ok(['passed', 'failed'].includes(report.report.verified), JSON.stringify(report.report));
  assert.match(report.report.check_log, /proof: present/);
  assert.equal(report.task.status, report.report.verified === 'passed' ? 'done' : 'in_progress');

  const done = await call(kai, 'done', { text: 'Finished the parser\nwith details' });
  assert.equal(done.type, 'done');
  assert.equal(done.task_id, task.id);
  assert.equal(done.subject, 'Finished the parser');

  const handoff = await call(kai, 'handoff', { task: task.id });
  assert.equal(handoff.task.id, task.id);
  assert.equal(handoff.reports.length, 1);
  assert.ok(handoff.history.length >= 3, JSON.stringify(handoff.history));
  assert.equal(handoff.comments.length, 1);
});

test('mail between agents, the crew, the journal, instructions and decisions', async () => {
  const { kai, ana } = agents;
  const sent = await call(kai.client, 'send', { to: 'ana', subject: 'Look at the parser', body: 'It is in parser.c' });
  assert.equal(sent.from, 'kai');
  const inbox = await call(ana.client, 'inbox', { unread: true });
  assert.ok(inbox.messages.some((m) => m.id === sent.id), JSON.stringify(inbox));
  const read = await call(ana.client, 'read', { message: sent.id });
  assert.equal(read.body, 'It is in parser.c');

  const crew = await call(kai.client, 'agents');
  assert.deepEqual(crew.agents.map((a) => a.name).sort(), ['ana', 'kai']);

  const entry = await call(kai.client, 'journal_add', { text: 'found a gotcha in the lexer' });
  const journal = await d.api('GET', '/api/v1/journal');
  assert.ok(JSON.stringify(journal).includes('found a gotcha in the lexer'), JSON.stringify(entry));

  const mine = await call(kai.client, 'instructions');
  assert.match(mine.instructions, /kai/);
  const resources = await kai.client.listResources();
  assert.deepEqual(resources.resources.map((r) => r.uri).sort(), ['bosun://decisions', 'bosun://instructions']);
  const text = await kai.client.readResource({ uri: 'bosun://instructions' });
  assert.equal(text.contents[0].text, mine.instructions);

  // An agent in no project is told so; a person names the project.
  await refused(kai.client, 'decisions', {}, /project/);
  const repo = `${d.root}/repo`;
  await import('node:child_process').then(({ execFileSync }) => {
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'init']);
  });
  const project = await d.api('POST', '/api/v1/projects', { path: repo, name: 'demo' });
  const person = agents.person.client;
  await call(person, 'decision_add', { project: project.name ?? 'demo', kind: 'gotcha', text: 'the lexer eats tabs' });
  const decisions = await call(person, 'decisions', { project: 'demo' });
  assert.ok(decisions.decisions.some((x) => x.text === 'the lexer eats tabs'), JSON.stringify(decisions));
});

test('an agent acts only as itself: another agent\'s task, message or claim is refused', async () => {
  const { kai, ana } = agents;
  const task = await d.api('POST', '/api/v1/tasks', { title: 'Kai only' });
  await call(kai.client, 'claim', { task: task.id });
  const history = (await d.api('GET', `/api/v1/tasks/${task.id}/history`)).history.length;

  await refused(ana.client, 'update', { task: task.id, status: 'blocked', reason: 'mine now' }, /not_your_task/);
  await refused(ana.client, 'report', {
    task: task.id, status: 'done', summary: 'x',
    proof: { what_was_done: 'a', how_verified: 'b', verification_result: 'c' },
  }, /forbidden/);
  await refused(ana.client, 'claim', { task: task.id }, /conflict|already|assigned/i);
  const after = await d.api('GET', `/api/v1/tasks/${task.id}`);
  assert.equal(after.assignee, kai.id);
  assert.equal(after.status, 'assigned');
  assert.equal((await d.api('GET', `/api/v1/tasks/${task.id}/history`)).history.length, history);

  // A message between kai and the person is not ana's to read.
  const note = await d.api('POST', '/api/v1/messages', { to: 'kai', subject: 'private' });
  await refused(ana.client, 'read', { message: note.id }, /not_your_message/);
  assert.equal((await d.api('GET', `/api/v1/messages/${note.id}`)).state, note.state);
  // The mailbox names the sender from the token: there is no field to speak as another.
  await refused(ana.client, 'send', { to: 'kai', subject: 'hi', from: 'user' }, /unknown field 'from'/);

  // kai, who holds it, says what blocks it: a `blocked` message to the supervisor about it.
  const blocked = await call(kai.client, 'blocked', { text: 'waiting for the lexer' });
  assert.equal(blocked.type, 'blocked');
  assert.equal(blocked.from, 'kai');
  assert.equal(blocked.task_id, task.id);
});

test('bad input is a clear tool error and changes nothing', async () => {
  const kai = agents.kai.client;
  const tasks = (await d.api('GET', '/api/v1/tasks')).tasks.length;
  const messages = (await d.api('GET', '/api/v1/messages')).messages.length;
  await refused(kai, 'claim', {}, /the required field 'task' is missing/);
  await refused(kai, 'claim', { task: 42 }, /'task' must be a string/);
  await refused(kai, 'show', { task: 't_nope' }, /task_not_found/);
  await refused(kai, 'update', { task: 't_nope', status: 'blocked', bogus: 1 }, /unknown field 'bogus'/);
  await refused(kai, 'update', { task: 't_nope', status: 'done' }, /'status' must be one of: in_progress, blocked/);
  await refused(kai, 'update', { task: 't_nope', status: 'blocked' }, /task_not_found/);
  await refused(kai, 'ready', { limit: 0 }, /'limit' must be from 1 to 1000/);
  await refused(kai, 'send', { to: 'nobody-here', subject: 'x' }, /nobody-here/);
  await refused(kai, 'send', { to: 'ana', subject: '' }, /must not be empty/);
  await refused(kai, 'done', { text: '\n' }, /must say something/);
  await refused(kai, 'report', { status: 'finished', summary: 'x', task: 't_nope' }, /one of: done, partial, blocked/);
  await refused(kai, 'read', { message: 'm_nope' }, /not_found/);
  await refused(kai, 'decision_add', { kind: 'rumour', text: 'x', project: 'demo' }, /one of: gotcha/);
  await assert.rejects(kai.callTool({ name: 'approve', arguments: { task: 't_x' } }), /Unknown tool: approve/);
  assert.equal((await d.api('GET', '/api/v1/tasks')).tasks.length, tasks);
  assert.equal((await d.api('GET', '/api/v1/messages')).messages.length, messages);

  // What the SDK never sends: broken JSON, a wrong version header, a form body, a batch.
  let r = await post('{"jsonrpc": "2.0", "id": 1, "method"');
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.code, -32700);
  r = await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, { 'MCP-Protocol-Version': '1999-01-01' });
  assert.equal(r.status, 400);
  r = await post('x=1', { 'Content-Type': 'application/x-www-form-urlencoded' });
  assert.equal(r.status, 415);
  r = await post({ jsonrpc: '2.0', id: 3, method: 'prompts/list' });
  assert.equal((await r.json()).error.code, -32601);
  r = await post([{ jsonrpc: '2.0', id: 4, method: 'ping' }, { jsonrpc: '2.0', method: 'notifications/initialized' }, 7]);
  const batch = await r.json();
  assert.deepEqual(batch.map((b) => b.id), [4, null]);
  assert.equal(batch[1].error.code, -32600);
  r = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  assert.equal(r.status, 202);
  assert.equal(await r.text(), '');
  r = await post({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'show', arguments: 'not an object' } });
  assert.equal((await r.json()).result.isError, true);
});

test('a pipeline step handed to an agent: step shows its run, report hands in its output', async () => {
  const repo = path.join(d.root, 'notes');
  fs.mkdirSync(path.join(repo, '.bosun', 'roles'), { recursive: true });
  fs.mkdirSync(path.join(repo, '.bosun', 'pipelines'), { recursive: true });
  fs.writeFileSync(path.join(repo, '.bosun', 'roles', 'writer.md'), '---\nname: writer\n---\nYou write notes.\n');
  fs.writeFileSync(path.join(repo, '.bosun', 'pipelines', 'note.yaml'),
    'name: note\nsteps:\n  - id: write\n    role: writer\n    mode: agent\n' +
    '    prompt: Write a note about {{task.title}}.\n    gates: [report]\n');
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'init');
  const project = await d.api('POST', '/api/v1/projects', { path: repo, execution_mode: 'auto' });
  const wren = await spawnAgent('wren', { role: 'writer', project: project.id, worktree: true });
  const run = await d.api('POST', '/api/v1/pipelines/note/runs', { brief: 'Hello', project: project.id });
  let stepTask;
  await until('the step task on the board', async () => {
    const { tasks } = await d.api('GET', `/api/v1/tasks?parent=${run.task_id}`);
    stepTask = tasks.find((t) => t.step === 'write');
    return stepTask;
  });
  // Another agent (no role, no project) may not take it; the writer may.
  await refused(agents.kai.client, 'claim', { task: stepTask.id }, /step_elsewhere/);
  if (stepTask.assignee !== wren.id) await call(wren.client, 'claim', { task: stepTask.id });
  const shown = await call(wren.client, 'step');
  assert.equal(shown.task, stepTask.id);
  assert.equal(shown.step, 'write');
  assert.equal(shown.run.id, run.id);
  assert.equal(shown.run.steps[0].state, 'running');
  assert.match(stepTask.description, /Write a note about Hello/);
  await refused(agents.kai.client, 'step', { task: run.task_id }, /not_a_step/);

  // The work, committed on the agent's branch, then the report: it lands on the run's branch,
  // the report gate passes, and the run merges into main.
  const worktree = wren.agent.worktree.path;
  fs.writeFileSync(path.join(worktree, 'note.md'), 'Hello\n');
  git(worktree, 'add', 'note.md');
  git(worktree, 'commit', '-q', '-m', 'a note');
  const reported = await call(wren.client, 'report', {
    status: 'done',
    summary: 'wrote note.md',
    proof: { what_was_done: 'wrote note.md', how_verified: 'read it back', verification_result: 'it says Hello' },
    handoff: { next: 'nothing' },
  });
  assert.equal(reported.report.verified, 'passed', JSON.stringify(reported));
  assert.match(reported.report.check_log, /merge: pipeline run run_\S+ merges bosun-task\/wren\/\S+ into bosun-run\/\S+ as it checks step write/);
  let final;
  await until(`run ${run.id} to merge`, async () => {
    final = await d.api('GET', `/api/v1/pipeline-runs/${run.id}`);
    return ['merged', 'waiting', 'failed', 'cancelled'].includes(final.state);
  });
  assert.equal(final.state, 'merged', JSON.stringify(final, null, 2));
  assert.equal(final.steps[0].report.handoff.next, 'nothing');
  assert.equal(git(repo, 'show', 'main:note.md'), 'Hello\n');
});

test('no token, a wrong token or a foreign Origin is refused before any tool runs', async () => {
  await assert.rejects(connect('not-a-token'), /401|nauthorized/);
  let r = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { Authorization: '' });
  assert.equal(r.status, 401);
  r = await post({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'journal_add', arguments: { text: 'from evil' } } },
    { Origin: 'http://evil.example' });
  assert.equal(r.status, 403);
  assert.ok(!JSON.stringify(await d.api('GET', '/api/v1/journal')).includes('from evil'));
  // No stream is offered: GET is 405, as the transport allows.
  r = await fetch(`${d.url}/mcp`, { headers: { Authorization: `Bearer ${d.token}` } });
  assert.equal(r.status, 405);
});
