// Claude Code's real TUI as a bosun agent against the fake model: the daemon reads its state
// off the screen with the claude profile — idle on the composer, working, waiting_input on the
// permission dialog, approved through the API, working again, idle — plus a slow answer (the
// spinner) and an API error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { bin, until, versions } from './support.mjs';
import { answerDialog, crew, spawnCli, submit, turnTests } from './tui.mjs';

const kPauseMs = 300; // the claude profile's input.pause_ms

const script = (prompt) => {
  if (prompt.includes('PLEASE TOUCH')) return { tool: { command: 'touch made-by-tool.txt', description: 'Create a file' } };
  if (prompt.includes('PLEASE WAIT')) return { text: 'That took a while.', delay_ms: 5000 };
  if (prompt.includes('PLEASE FAIL')) return { error: { status: 400, message: 'Invalid request (fake failure)' } };
  return { text: 'Plain answer.' };
};

const c = crew(script, { afterTool: 'The command ran.' });

const argv = () => [bin('claude'), '--permission-mode', 'default'];
const state = (s) => (d) => d.state === s;

async function startClaude(name) {
  const agent = await spawnCli(c.daemon, c.model, 'claude', name, argv());
  const idle = await c.events.wait('claude idle at its composer', 'agent.state', agent.id, state('idle'), 60000);
  assert.equal(idle.data.source, 'screen');
  assert.equal(idle.data.evidence, 'claude.composer');
  return agent;
}

test(`claude ${versions.claude}: idle, working, waiting for permission, approved through the API, idle`, async () => {
  const { id, work } = await startClaude('perm');
  await submit(c.daemon, id, 'PLEASE TOUCH a file', kPauseMs);
  await c.events.wait('working', 'agent.state', id, state('working'));
  const waiting = await c.events.wait('the permission dialog', 'agent.state', id, state('waiting_input'));
  assert.equal(waiting.data.source, 'screen');
  assert.equal(waiting.data.evidence, 'claude.permission');
  assert.match(waiting.data.detail, /Do you want to proceed\?/);
  assert.ok(!fs.existsSync(path.join(work, 'made-by-tool.txt')), 'the tool ran before it was approved');
  // Enter accepts the selected "1. Yes".
  await answerDialog(c.daemon, id, '\r');
  await c.events.wait('working after the approval', 'agent.state', id, state('working'));
  const idle = await c.events.wait('idle after the answer', 'agent.state', id, state('idle'));
  assert.equal(idle.data.evidence, 'claude.composer');
  assert.ok(fs.existsSync(path.join(work, 'made-by-tool.txt')), 'the approved tool ran');
  assert.ok(c.model.prompts('anthropic').some((r) => r.afterTool), 'the tool result went back to the model');
  const agent = await c.daemon.api('GET', `/api/v1/agents/${id}`);
  assert.equal(agent.state, 'idle');
  assert.equal(agent.state_source, 'screen');
});

test(`claude ${versions.claude}: a slow answer is working from the spinner until it arrives`, async () => {
  const { id } = await startClaude('slow');
  await submit(c.daemon, id, 'PLEASE WAIT for it', kPauseMs);
  await c.events.wait('working', 'agent.state', id, state('working'));
  // Working from output becomes working from the screen without a new event (the state is the
  // same): the agent record says where it stands now.
  const agent = await until('the screen to say working', async () => {
    const a = await c.daemon.api('GET', `/api/v1/agents/${id}`);
    return a.state === 'working' && a.state_source === 'screen' ? a : null;
  }, 5000);
  assert.match(agent.state_evidence, /^claude\.(spinner|interrupt-hint)$/);
  await c.events.wait('idle once the answer came', 'agent.state', id, state('idle'), 30000);
  assert.match(await c.daemon.screen(id), /That took a while\./);
});

test(`claude ${versions.claude}: an API error is errored, from the screen`, async () => {
  const { id } = await startClaude('fail');
  await submit(c.daemon, id, 'PLEASE FAIL this turn', kPauseMs);
  const errored = await c.events.wait('errored', 'agent.state', id, state('errored'), 60000);
  assert.equal(errored.data.source, 'screen');
  assert.equal(errored.data.evidence, 'claude.api-error');
  assert.match(errored.data.detail, /API Error: 400/);
});

turnTests('claude', { argv, pauseMs: 300 });
