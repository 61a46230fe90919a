// The Claude Code round trip: bosun's supervisor delivers a [TASK] to a real Claude Code (its own
// daemon, one agent), the fake model answers with a Bash tool call that runs `bosun report
// submit` and `bosun mail done`, a person approves it through the API, and the task reaches
// review with the report and the mail attached to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { bosun, until, versions } from './support.mjs';
import { answerDialog, crew, spawnCli } from './tui.mjs';

// The Bash command that finishes task `id` the way bosun asks an agent to.
function finishTask(id) {
  const report = JSON.stringify({
    status: 'done',
    summary: `${id}: wrote done.txt`,
    changes: [{ file: 'done.txt', description: 'created' }],
    proof: { what_was_done: 'created done.txt', how_verified: 'ls done.txt', verification_result: 'done.txt exists' },
  });
  return `touch done.txt && ls done.txt && echo '${report}' | ${bosun} report submit - && ${bosun} mail done "Finished ${id}"`;
}

const script = (prompt) => {
  const task = prompt.match(/\[TASK\]\s+(t_[A-Za-z0-9]+)/);
  if (task) return { tool: { command: finishTask(task[1]), description: 'Finish the task' } };
  return { text: 'Nothing to do.' };
};

const c = crew(script, { afterTool: 'Done: reported and mailed.' });

const state = (s) => (d) => d.state === s;

test(`claude ${versions.claude}: a task delivered by bosun is done through bosun mail done`, async () => {
  // The command is the claude profile's: hooks report the state, the role goes in as a system
  // prompt file.
  const { id, work, agent } = await spawnCli(c.daemon, c.model, 'claude', 'dev', null, { role: 'dev' });
  assert.ok(agent.argv.includes('--settings') && agent.argv.includes('--session-id'), agent.argv.join(' '));
  await c.events.wait('claude idle at its composer', 'agent.state', id, state('idle'), 60000);
  const task = await c.daemon.api('POST', '/api/v1/tasks', { title: 'Write done.txt', role: 'dev', description: 'Create done.txt.' });
  await c.events.wait('the [TASK] delivered', 'message.delivered', '', (m) => m.type === 'task');
  // Claude asks before running the command; a person (here the test) approves it through the API.
  const waiting = await c.events.wait('the permission dialog', 'agent.state', id, state('waiting_input'), 60000)
    .catch(async (e) => assert.fail(`${e.message}\n${await c.daemon.screen(id)}`));
  assert.equal(waiting.data.source, 'hook', c.events.states(id).join(' → '));
  await answerDialog(c.daemon, id, '\r');
  const done = await c.events.wait('mail done from the agent', 'message.created', '',
    (m) => m.type === 'done' && m.from === 'dev', 60000)
    .catch(async (e) => assert.fail(`${e.message}\n${await c.daemon.screen(id)}\ntool results: ${
      JSON.stringify(c.model.requests.filter((r) => r.afterTool).map((r) => r.prompt))}`));
  assert.equal(done.data.task_id, task.id, JSON.stringify(done.data));
  assert.match(done.data.subject, /Finished/);
  // The report moved the task before the mail was sent: look at every event seen so far.
  const reviewed = (ev) => ev.type === 'task.updated' && ev.subject === task.id && ['review', 'done'].includes(ev.data.task.status);
  if (!c.events.seen.some(reviewed)) {
    await c.events.wait('the task reviewed or done', 'task.updated', task.id, (d) => ['review', 'done'].includes(d.task.status), 60000);
  }
  assert.ok(fs.existsSync(path.join(work, 'done.txt')));
  const reports = await c.daemon.api('GET', `/api/v1/tasks/${task.id}/reports`);
  assert.equal(reports.reports.length, 1);
  assert.equal(reports.reports[0].agent_id, id);

  // The next task goes to an agent whose state now rests on its hooks: the delivery counts
  // only when the UserPromptSubmit hook says the prompt went in.
  await c.events.wait('idle from the Stop hook', 'agent.state', id, (d) => d.state === 'idle' && d.source === 'hook', 60000);
  const next = await c.daemon.api('POST', '/api/v1/tasks', { title: 'Write done.txt again', role: 'dev' });
  const delivered = await c.events.wait('the second [TASK] delivered', 'message.delivered', '',
    (m) => m.type === 'task' && m.task_id === next.id, 60000);
  assert.equal(delivered.data.attempts, 1, JSON.stringify(delivered.data));
  await until('the model to receive the second task', () =>
    c.model.requests.some((r) => !r.side && r.prompt.includes(`[TASK] ${next.id}`)), 30000);
});
