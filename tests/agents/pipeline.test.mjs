// A pipeline step run by the real Claude Code, headless, against the fake model: bosun renders
// the step's prompt into the claude profile's headless command, reads the CLI's stream-json
// answer, and checks the report block in it itself — a complete report passes the `report`
// gate and the run merges; one without proof is refused and the run asks a person.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { baseEnv, bin, Daemon, Events, prepareCli, versions } from './support.mjs';
import { FakeModel } from './fake_model.mjs';

const answer = (report) => ({ text: `I read the change.\n\n\`\`\`json\n${JSON.stringify(report)}\n\`\`\`` });
const proof = { what_was_done: 'read README.md', how_verified: 'read it back', verification_result: 'it says hello' };
const script = (prompt) => {
  if (prompt.includes('CHECK THE GREETING')) {
    return answer({ status: 'done', summary: 'The greeting is right', proof, review: { verdict: 'approve', comments: 'fine' } });
  }
  if (prompt.includes('CHECK WITHOUT PROOF')) return answer({ status: 'done', summary: 'Looks fine to me' });
  return { text: 'ok' };
};

const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8' });

const pipelineFile = (name, words) => `name: ${name}
steps:
  - id: check
    role: reviewer
    mode: headless
    max_attempts: 1
    prompt: |
      ${words}: {{task.title}}. Read README.md and report.
    gates: [report, review]
`;

const c = {};
before(async () => {
  c.model = await new FakeModel(script).start();
  c.daemon = new Daemon();
  const { home, env } = prepareCli('claude', c.model.url, c.daemon.root);
  c.daemon.env = { ...baseEnv(home), ...env, PATH: `${path.dirname(bin('claude'))}:${process.env.PATH}` };
  c.repo = path.join(c.daemon.root, 'app');
  fs.mkdirSync(path.join(c.repo, '.bosun', 'roles'), { recursive: true });
  fs.mkdirSync(path.join(c.repo, '.bosun', 'pipelines'), { recursive: true });
  fs.writeFileSync(path.join(c.repo, 'README.md'), 'hello\n');
  fs.writeFileSync(path.join(c.repo, '.bosun', 'roles', 'reviewer.md'),
    '---\nname: reviewer\nprofile: claude\n---\nYou review changes.\n');
  fs.writeFileSync(path.join(c.repo, '.bosun', 'pipelines', 'greeting.yaml'), pipelineFile('greeting', 'CHECK THE GREETING'));
  fs.writeFileSync(path.join(c.repo, '.bosun', 'pipelines', 'noproof.yaml'), pipelineFile('noproof', 'CHECK WITHOUT PROOF'));
  git(c.repo, 'init', '-q', '-b', 'main');
  git(c.repo, '-c', 'user.name=t', '-c', 'user.email=t@bosun.invalid', 'add', '.');
  git(c.repo, '-c', 'user.name=t', '-c', 'user.email=t@bosun.invalid', 'commit', '-q', '-m', 'init');
  await c.daemon.start();
  c.events = await Events.open(c.daemon);
  await c.daemon.api('POST', '/api/v1/projects', { path: c.repo, execution_mode: 'auto' });
});
after(async () => {
  c.events?.close();
  await c.daemon?.stop();
  await c.model?.stop();
});

test(`claude ${versions.claude}: a headless pipeline step's report passes the report gate and the run merges`, async () => {
  const before = c.model.requests.length;
  const run = await c.daemon.api('POST', '/api/v1/pipelines/greeting/runs', { brief: 'Greet the user' });
  await c.events.wait(`run ${run.id} to settle`, ['pipeline.run.finished', 'pipeline.run.waiting'], run.id, () => true, 120000);
  const shown = await c.daemon.api('GET', `/api/v1/pipeline-runs/${run.id}`);
  assert.equal(shown.state, 'merged', JSON.stringify(shown, null, 2));
  assert.ok(c.model.requests.length > before, 'Claude Code asked the fake model');
  const step = shown.steps[0];
  assert.equal(step.state, 'passed');
  assert.deepEqual(step.gates.map((g) => `${g.gate}:${g.result}`), ['report:passed', 'review:passed']);
  assert.equal(step.report.proof.what_was_done, 'read README.md');
  // The step ran the real CLI through the claude profile, and its usage was recorded.
  const hr = await c.daemon.api('GET', `/api/v1/runs/${step.headless_runs[0]}`);
  assert.equal(hr.profile, 'claude');
  assert.equal(hr.argv[0], 'claude');
  assert.ok(hr.usage.input_tokens > 0, JSON.stringify(hr));
  assert.ok(shown.usage.runs === 1 && shown.usage.input_tokens > 0, JSON.stringify(shown.usage));
});

test(`claude ${versions.claude}: a report without proof is refused by the report gate`, async () => {
  const run = await c.daemon.api('POST', '/api/v1/pipelines/noproof/runs', { brief: 'Greet again' });
  await c.events.wait(`run ${run.id} waiting`, 'pipeline.run.waiting', run.id, () => true, 120000);
  const shown = await c.daemon.api('GET', `/api/v1/pipeline-runs/${run.id}`);
  assert.equal(shown.state, 'waiting', JSON.stringify(shown, null, 2));
  const step = shown.steps[0];
  assert.equal(step.state, 'failed');
  assert.equal(step.gates[0].gate, 'report');
  assert.equal(step.gates[0].result, 'failed');
  assert.match(step.gates[0].evidence, /proof/);
});
