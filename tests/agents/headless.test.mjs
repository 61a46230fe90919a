// The four real CLIs run headless (each profile's `headless` argv) against the fake model:
// their JSON event streams, read by `bosun detect --events` with the CLI's profile, give the
// right outcome — a plain answer is a success, an API error is a failure whatever the CLI's own
// success flags say, and a tool that needed a permission nobody could give is not a success.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeModel } from './fake_model.mjs';
import { Daemon, baseEnv, bin, detectStream, prepareCli, run, versions } from './support.mjs';

const script = (prompt) => {
  if (prompt.includes('PLEASE FAIL')) return { error: { status: 400, message: 'Invalid request (fake failure)' } };
  if (prompt.includes('PLEASE TOUCH')) return { tool: { command: 'touch made-by-tool.txt', escalate: true } };
  if (prompt.includes('PLEASE ANSWER')) return { text: 'Plain answer to the question.' };
  return { text: 'ok' };
};

let model;
let daemon;
before(async () => {
  model = await new FakeModel(script).start();
  daemon = await new Daemon().start();
});
after(async () => {
  await daemon?.stop();
  await model?.stop();
});

// Each CLI's headless argv for `prompt` (the profiles' `headless` templates, plus what a
// fake-model run needs: trust for Gemini, no git repository for Codex).
const headless = {
  claude: (prompt) => [bin('claude'), '-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'default', prompt],
  codex: (prompt) => [bin('codex'), 'exec', '--json', '--skip-git-repo-check', prompt],
  gemini: (prompt) => [bin('gemini'), '-p', prompt, '--output-format', 'stream-json', '--skip-trust'],
  opencode: (prompt) => [bin('opencode'), 'run', '--format', 'json', prompt],
};

async function runHeadless(cli, prompt) {
  const { work, env } = prepareCli(cli, model.url, daemon.root + `/${cli}-${Date.now()}`);
  const r = await run(headless[cli](prompt), { cwd: work, env: { ...baseEnv(env.HOME), ...env } });
  assert.ok(r.stdout.trim().length > 0, `${cli} printed no events (exit ${r.code}): ${r.stderr}`);
  const { code, reading } = await detectStream(daemon, cli, r.stdout);
  return { exit: r.code, stdout: r.stdout, stderr: r.stderr, work, code, reading };
}

for (const cli of ['claude', 'codex', 'gemini', 'opencode']) {
  test(`${cli} ${versions[cli]}: a plain answer is a success`, async () => {
    const before = model.requests.length;
    const r = await runHeadless(cli, 'Say hello PLEASE ANSWER');
    assert.equal(r.exit, 0, r.stderr);
    assert.ok(model.requests.length > before, 'the CLI asked the fake model');
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
