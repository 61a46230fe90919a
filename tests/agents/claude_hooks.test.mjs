// Claude Code started from bosun's claude profile (no argv: bosun builds the command) reports
// its own state through the hooks bosun gives it: working, waiting_input for a permission,
// idle and errored all come with source `hook`; a person's interrupt, which fires no hook, is
// caught by the quiet screen; and a restart resumes the conversation under the session id
// bosun chose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { until, versions } from './support.mjs';
import { answerDialog, assertPassedOver, crew, spawnCli, submit } from './tui.mjs';

const kPauseMs = 300; // the claude profile's input.pause_ms

const script = (prompt) => {
  if (prompt.includes('PLEASE TOUCH')) return { tool: { command: 'touch made-by-hook-run.txt', description: 'Create a file' } };
  if (prompt.includes('PLEASE WAIT')) return { text: 'Too late.', delay_ms: 20000 };
  if (prompt.includes('PLEASE LIMIT')) return { error: { status: 429, message: 'Rate limit reached (fake limit)' } };
  if (prompt.includes('PLEASE FILL')) return { text: 'A long conversation.', usage: { input_tokens: 20, cache_read_input_tokens: 850000 } };
  if (prompt.includes('PLEASE FAIL')) return { error: { status: 400, message: 'Invalid request (fake failure)' } };
  return { text: 'Plain answer.' };
};

const c = crew(script, { afterTool: 'The command ran.' });

const state = (s) => (d) => d.state === s;
const fromHook = (s) => (d) => d.state === s && d.source === 'hook';

async function startClaude(name) {
  const started = await spawnCli(c.daemon, c.model, 'claude', name, null);
  const argv = started.agent.argv;
  assert.equal(argv[0], 'claude');
  assert.ok(argv.includes('--settings'), argv.join(' '));
  assert.equal(argv[argv.indexOf('--session-id') + 1], started.agent.session_id);
  await c.events.wait('claude idle at its composer', 'agent.state', started.id, state('idle'), 60000);
  return started;
}

test(`claude ${versions.claude} with hooks: working, waiting for permission, approved, idle — from the hooks`, async () => {
  const { id, work, agent } = await startClaude('hooked');
  await submit(c.daemon, id, 'PLEASE TOUCH a file', kPauseMs);
  const waiting = await c.events.wait('the permission request hook', 'agent.state', id, fromHook('waiting_input'), 60000);
  assert.equal(waiting.data.evidence, 'claude.hook.PermissionRequest');
  assert.match(waiting.data.detail, /Bash/);
  assert.ok(!fs.existsSync(path.join(work, 'made-by-hook-run.txt')), 'the tool ran before it was approved');
  await answerDialog(c.daemon, id, '\r');
  await c.events.wait('working after the approval', 'agent.state', id, fromHook('working'));
  const idle = await c.events.wait('idle from the Stop hook', 'agent.state', id, fromHook('idle'), 60000);
  assert.equal(idle.data.evidence, 'claude.hook.Stop');
  assert.ok(fs.existsSync(path.join(work, 'made-by-hook-run.txt')), 'the approved tool ran');
  // Only the hooks decided after the prompt went in: no screen or output reading in between.
  const after = c.events.seen.filter((ev) => ev.type === 'agent.state' && ev.subject === id);
  const fromPrompt = after.slice(after.findIndex((ev) => ev.data.source === 'hook'));
  assert.deepEqual([...new Set(fromPrompt.map((ev) => ev.data.source))], ['hook'], c.events.states(id).join(' → '));

  // A restart resumes the conversation (the session id bosun gave it), with the transcript.
  await c.daemon.api('POST', `/api/v1/agents/${id}/restart`, {});
  await c.events.wait('the new run starting', 'agent.state', id, state('starting'));
  await c.events.wait('idle after the restart', 'agent.state', id, state('idle'), 60000);
  const resumed = await c.daemon.api('GET', `/api/v1/agents/${id}`);
  assert.equal(resumed.argv[resumed.argv.indexOf('--resume') + 1], agent.session_id, resumed.argv.join(' '));
  await until('the earlier answer on the resumed screen', async () => /The command ran\./.test(await c.daemon.screen(id)), 15000);
});

test(`claude ${versions.claude} with hooks: an interrupt fires no hook; the quiet screen says idle`, async () => {
  const { id } = await startClaude('interrupted');
  await submit(c.daemon, id, 'PLEASE WAIT for it', kPauseMs);
  await c.events.wait('working from the prompt hook', 'agent.state', id, (d) => d.state === 'working', 30000);
  await until('the prompt hook to be the source', async () => (await c.daemon.api('GET', `/api/v1/agents/${id}`)).state_source === 'hook', 10000);
  const interruptedAt = Date.now();
  await c.daemon.api('POST', `/api/v1/agents/${id}/input`, { data: '\x1b' });
  const idle = await c.events.wait('idle from the screen', 'agent.state', id, state('idle'), 20000);
  assert.equal(idle.data.source, 'screen');
  assert.equal(idle.data.evidence, 'claude.composer');
  // The hook's word held for its stale interval (5 s), then the screen's quiet reading won,
  // well before the slow answer (20 s) could have finished the turn.
  assert.ok(Date.now() - interruptedAt < 15000, `idle after ${Date.now() - interruptedAt} ms`);
});

test(`claude ${versions.claude} with hooks: an API error is errored, from the StopFailure hook`, async () => {
  const { id } = await startClaude('failing');
  await submit(c.daemon, id, 'PLEASE FAIL this turn', kPauseMs);
  const errored = await c.events.wait('errored', 'agent.state', id, state('errored'), 60000);
  assert.equal(errored.data.source, 'hook', c.events.states(id).join(' → '));
  assert.equal(errored.data.evidence, 'claude.hook.StopFailure');
});

test(`claude ${versions.claude} with hooks: a usage limit is rate_limited from the hook, and claude gets no new task`, async () => {
  const { id } = await startClaude('limited');
  await submit(c.daemon, id, 'PLEASE LIMIT this turn', kPauseMs);
  const limited = await c.events.wait('rate_limited', 'agent.state', id, state('rate_limited'), 60000);
  assert.equal(limited.data.source, 'hook', c.events.states(id).join(' → '));
  assert.equal(limited.data.evidence, 'claude.hook.StopFailure');
  const paused = await c.events.wait('dispatch to claude paused', 'provider.rate_limited', 'claude');
  assert.equal(paused.data.agent, 'limited');
  const sup = await c.daemon.api('GET', '/api/v1/supervisor');
  assert.ok(sup.provider_limits.some((l) => l.provider === 'claude'), JSON.stringify(sup.provider_limits));
  await assertPassedOver(c, { id, name: 'limited' });
});

test(`claude ${versions.claude} with its status line: the context window fills the gauge, and reset_at_context resets it`, async () => {
  const { id } = await startClaude('filled');
  await c.daemon.api('PUT', '/api/v1/supervisor', { reset_at_context: '80%' });
  await submit(c.daemon, id, 'PLEASE FILL the context', kPauseMs);
  const gauge = await c.events.wait('the gauge from claude', 'agent.context', id, (d) => d.percent >= 80, 60000);
  // The status line and the Stop hook both carry the turn's count, in either order; the window
  // is the model's, which only the status line says (the profile's is 200k).
  assert.ok(['statusline', 'hook'].includes(gauge.data.source), gauge.data.source);
  assert.equal(gauge.data.tokens, 850020);
  assert.equal(gauge.data.window, 1000000);
  assert.equal(gauge.data.percent, 85);
  const reset = await c.events.wait('a reset by context', 'agent.reset', id, () => true, 60000);
  assert.equal(reset.data.reason, 'its context is 85% full (reset_at_context 80%)');
  await c.daemon.api('PUT', '/api/v1/supervisor', {});
});
