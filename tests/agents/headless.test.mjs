// The four real CLIs run headless (each profile's `headless` argv) against the fake model:
// their JSON event streams, read by `bosun detect --events` with the CLI's profile, give the
// right outcome — a plain answer is a success, an API error is a failure whatever the CLI's own
// success flags say, and a tool that needed a permission nobody could give is not a success.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { baseEnv, bin, detectStream, prepareCli, run, versions } from './support.mjs';
import { assertPassedOver, crew } from './tui.mjs';

const script = (prompt) => {
  if (prompt.includes('PLEASE LIMIT')) return { error: { status: 429, message: 'Rate limit reached (fake limit)' } };
  if (prompt.includes('PLEASE FAIL')) return { error: { status: 400, message: 'Invalid request (fake failure)' } };
  if (prompt.includes('PLEASE TOUCH')) return { tool: { command: 'touch made-by-tool.txt', escalate: true } };
  if (prompt.includes('PLEASE ANSWER')) return { text: 'Plain answer to the question.' };
  return { text: 'ok' };
};

const c = crew(script);

// Each CLI's headless argv for `prompt` (the profiles' `headless` templates, plus what a
// fake-model run needs: trust for Gemini, no git repository for Codex).
const headless = {
  claude: (prompt) => [bin('claude'), '-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'default', prompt],
  codex: (prompt) => [bin('codex'), 'exec', '--json', '--skip-git-repo-check', prompt],
  gemini: (prompt) => [bin('gemini'), '-p', prompt, '--output-format', 'stream-json', '--skip-trust'],
  opencode: (prompt) => [bin('opencode'), 'run', '--format', 'json', prompt],
};

async function runHeadless(cli, prompt) {
  const { work, env } = prepareCli(cli, c.model.url, c.daemon.root + `/${cli}-${Date.now()}`);
  const r = await run(headless[cli](prompt), { cwd: work, env: { ...baseEnv(env.HOME), ...env } });
  assert.ok(r.stdout.trim().length > 0, `${cli} printed no events (exit ${r.code}): ${r.stderr}`);
  const { code, reading } = await detectStream(c.daemon, cli, r.stdout);
  return { exit: r.code, stdout: r.stdout, stderr: r.stderr, work, code, reading };
}

for (const cli of ['claude', 'codex', 'gemini', 'opencode']) {
  test(`${cli} ${versions[cli]}: a plain answer is a success`, async () => {
    const before = c.model.requests.length;
    const r = await runHeadless(cli, 'Say hello PLEASE ANSWER');
    assert.equal(r.exit, 0, r.stderr);
    assert.ok(c.model.requests.length > before, 'the CLI asked the fake model');
    assert.equal(r.code, 0, JSON.stringify(r.reading));
    assert.equal(r.reading.outcome.finished, true, JSON.stringify(r.reading));
    assert.equal(r.reading.outcome.success, true, JSON.stringify(r.reading));
    assert.match(r.reading.outcome.text, /Plain answer to the question\./);
    assert.equal(r.reading.state, 'idle', JSON.stringify(r.reading));
    assert.equal(r.reading.source, 'protocol');
  });

  test(`${cli} ${versions[cli]}: an API error is a failure`, async () => {
    const r = await runHeadless(cli, 'PLEASE FAIL this turn');
    assert.notEqual(r.reading.outcome.success, true, JSON.stringify(r.reading));
    assert.match(JSON.stringify(r.reading.outcome), /fake failure/);
  });
}

test(`claude ${versions.claude}: a tool call that needs permission under -p is denied, not a success`, async () => {
  const r = await runHeadless('claude', 'PLEASE TOUCH a file');
  assert.equal(r.reading.outcome.success, false, JSON.stringify(r.reading));
  assert.equal(r.reading.outcome.reason, 'permission_denied', JSON.stringify(r.reading));
});

test(`opencode ${versions.opencode}: run auto-rejects a permission and exits 0, bosun says it did not succeed`, async () => {
  const r = await runHeadless('opencode', 'PLEASE TOUCH a file');
  assert.equal(r.exit, 0, r.stderr);
  assert.match(r.stderr, /auto-rejecting/);
  // The stream stops after the refused tool call with no result: not a success, one denial.
  assert.equal(r.reading.outcome.success, false, JSON.stringify(r.reading));
  assert.equal(r.reading.outcome.finished, false, JSON.stringify(r.reading));
  assert.equal(r.reading.outcome.permission_denials, 1, JSON.stringify(r.reading));
});

// The same runs through bosun: `bosun run AGENT PROMPT --task T` runs the agent's profile's
// headless command in its folder, reads the stream, and stores the usage against the task.
const runArgs = { claude: [], codex: [], gemini: ['--skip-trust'], opencode: [] };

async function crewAgent(cli) {
  const { work, env } = prepareCli(cli, c.model.url, c.daemon.root + `/${cli}-crew`);
  return c.daemon.api('POST', '/api/v1/agents', {
    name: `run-${cli}`,
    profile: cli,
    argv: ['bash', '--norc', '--noprofile'],
    cwd: work,
    env: { ...env, PATH: `${path.dirname(bin(cli))}:${process.env.PATH}` },
  });
}

for (const cli of ['claude', 'codex', 'gemini', 'opencode']) {
  test(`${cli} ${versions[cli]}: bosun run — a headless step for a task, its usage stored`, async () => {
    const agent = await crewAgent(cli);
    const task = await c.daemon.api('POST', '/api/v1/tasks', { title: `Answer for ${cli}`, role: 'nobody' });
    const r = await c.daemon.cli(['run', agent.name, 'Say hello PLEASE ANSWER', '--task', task.id, '--json',
      ...runArgs[cli].flatMap((a) => ['--arg', a])]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const run = JSON.parse(r.stdout);
    assert.equal(run.state, 'finished');
    assert.equal(run.success, true, r.stdout);
    assert.match(run.text, /Plain answer to the question\./);
    assert.ok(run.usage.input_tokens > 0 && run.usage.output_tokens > 0, JSON.stringify(run.usage));
    const usage = await c.daemon.api('GET', `/api/v1/usage?by=task&task=${task.id}`);
    assert.equal(usage.rows.length, 1);
    assert.equal(usage.rows[0].input_tokens, run.usage.input_tokens);
    const shown = await c.daemon.api('GET', `/api/v1/tasks/${task.id}`);
    assert.equal(shown.usage.runs, 1);

    const failed = await c.daemon.cli(['run', agent.name, 'PLEASE FAIL this turn', '--json', ...runArgs[cli].flatMap((a) => ['--arg', a])]);
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assert.equal(JSON.parse(failed.stdout).success, false);
  });
}

test(`claude ${versions.claude}: a usage limit in a headless run pauses dispatch to claude agents`, async () => {
  const agent = await c.daemon.api('GET', '/api/v1/agents/run-claude').catch(() => crewAgent('claude'));
  const r = await c.daemon.cli(['run', agent.name, 'PLEASE LIMIT this turn', '--json']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const run = JSON.parse(r.stdout);
  assert.equal(run.reason, 'rate_limited', r.stdout);
  const sup = await c.daemon.api('GET', '/api/v1/supervisor');
  const limit = sup.provider_limits.find((l) => l.provider === 'claude');
  assert.ok(limit, JSON.stringify(sup.provider_limits));
  assert.equal(limit.agent, agent.name);
  await assertPassedOver(c, agent);
});
