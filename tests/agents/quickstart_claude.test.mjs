// docs/quickstart-claude.md, command by command: roles as Claude Code subagent files, `bosun
// init`, the team file (a crew of three Claude Code agents, sandboxed, unattended), `bosun up`,
// two tasks, `bosun status`, the review list, `bosun task diff`, `bosun task approve` (merged
// into main) and `bosun down`. Only the model is fake; the environment that points Claude Code
// at it is the one thing added to the doc's team file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FakeModel } from './fake_model.mjs';
import { bin, bosun, bwrapUnusable, commitRepo, crewScript, prepareCli, run, until } from './support.mjs';

const skip = await bwrapUnusable();

const model = await new FakeModel(crewScript, { afterTool: 'Done: committed, reported and mailed.' }).start();

const root = fs.realpathSync(fs.mkdtempSync('/tmp/bosun-quickstart-'));
const repo = path.join(root, 'app');
// Claude Code as the person has it: a HOME with its config (the repository trusted) and the
// fake model's address in the environment.
const { env: claudeEnv } = prepareCli('claude', model.url, root, { trust: { [repo]: true } });
const env = {
  ...process.env,
  ...claudeEnv,
  PATH: `${path.dirname(bin('claude'))}:${path.dirname(bosun)}:${process.env.PATH}`,
};
for (const key of Object.keys(env)) if (key.startsWith('BOSUN_') && key !== 'BOSUN_BINARY') delete env[key];
const sh = (args, ms = 60000) => run([bosun, ...args], { cwd: repo, env, ms });
const git = (...args) => run(['git', '-C', repo, ...args]);

after(async () => {
  await sh(['down']);
  await model.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

test('docs/quickstart-claude.md: a crew of three Claude Code agents, sandboxed and unattended, reviewed and merged', { skip, timeout: 280000 }, async () => {
  // 1. Roles.
  fs.mkdirSync(path.join(repo, '.claude', 'agents'), { recursive: true });
  fs.writeFileSync(path.join(repo, '.claude', 'agents', 'coder.md'),
    '---\nname: coder\ndescription: writes the code for a task, on its own branch\nmodel: sonnet\n---\n' +
    'You write code. Commit your work, then report it with `bosun report submit`.\n');
  fs.writeFileSync(path.join(repo, '.claude', 'agents', 'reviewer.md'),
    '---\nname: reviewer\ndescription: reviews the branches of tasks in review\n---\nYou review.\n');
  await commitRepo(repo, 'roles');

  // 2. The team file.
  const init = await sh(['init']);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /coder +coder +claude/);
  const agentEnv = JSON.stringify(claudeEnv);
  fs.writeFileSync(path.join(repo, 'bosun.yaml'), [
    'project: .',
    'sandbox: bwrap',
    'permission: unattended',
    'agents:',
    `  - {name: coder, role: coder, profile: claude, worktree: true, env: ${agentEnv}}`,
    `  - {name: coder2, role: coder, profile: claude, worktree: true, env: ${agentEnv}}`,
    `  - {name: reviewer, role: reviewer, profile: claude, worktree: true, env: ${agentEnv}}`,
    '',
  ].join('\n'));

  // 3. Start it, give it work.
  const up = await sh(['up'], 120000);
  assert.equal(up.code, 0, up.stdout + up.stderr);
  const listed = await sh(['agent', 'list', '--json']);
  const parsed = JSON.parse(listed.stdout);
  const agents = Array.isArray(parsed) ? parsed : parsed.agents ?? [];
  assert.equal(agents.length, 3, `${up.stdout}\n${listed.stdout}\n${listed.stderr}`);
  for (const a of agents) {
    assert.deepEqual(a.sandbox, { kind: 'bwrap', network: 'on' }, a.name);
    assert.ok(a.argv.includes('--dangerously-skip-permissions'), a.argv.join(' '));
  }
  assert.ok(agents.find((a) => a.name === 'coder').argv.join(' ').includes('--model sonnet'));
  const ids = [];
  for (const title of ['Write the parser', 'Write the printer']) {
    const add = await sh(['task', 'add', title, '--role', 'coder', '--json']);
    assert.equal(add.code, 0, add.stderr);
    ids.push(JSON.parse(add.stdout).id);
  }
  const inReview = async () => {
    const list = await sh(['task', 'list', '--status', 'review', '--json']);
    const parsed = JSON.parse(list.stdout);
    const tasks = Array.isArray(parsed) ? parsed : parsed.tasks ?? [];
    return ids.every((id) => tasks.some((t) => t.id === id));
  };
  await until('both tasks in review', inReview, 150000, 500).catch(async (e) => {
    const tasks = await sh(['task', 'list']);
    const screens = [];
    for (const name of ['coder', 'coder2']) screens.push((await sh(['agent', 'screen', name])).stdout);
    const tools = model.requests.filter((r) => r.afterTool).map((r) => r.prompt);
    assert.fail(`${e.message}\n${tasks.stdout}\n${screens.join('\n----\n')}\ntool results: ${JSON.stringify(tools)}`);
  });
  const status = await sh(['status']);
  assert.equal(status.code, 0, status.stderr);
  // Nobody was asked anything: no agent ever waited for a person.
  const journal = await sh(['events', '--json', '--kind', 'agent.state', '--since', '0', '--limit', '1000']);
  assert.match(journal.stdout, /"state":"working"/, 'the event log holds the agents\' states');
  assert.ok(!journal.stdout.includes('"waiting_input"'), journal.stdout.slice(0, 2000));

  // 4. Review and merge.
  for (const id of ids) {
    const diff = await sh(['task', 'diff', id]);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, new RegExp(`${id}\\.txt`));
    const approve = await sh(['task', 'approve', id]);
    assert.equal(approve.code, 0, approve.stdout + approve.stderr);
    const merged = await git('show', `main:${id}.txt`);
    assert.equal(merged.stdout.trim(), id, merged.stderr);
  }

  // 5. Stop.
  const down = await sh(['down']);
  assert.equal(down.code, 0, down.stderr);
});
