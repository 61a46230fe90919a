// The supervisor delivers a [TASK] into each real TUI started from its profile (no argv), typed
// the way the profile says (Codex needs its pause before Enter): the message is delivered only
// when the CLI really submitted it — the fake model receives the [TASK] line as a prompt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { until, versions } from './support.mjs';
import { crew, spawnCli } from './tui.mjs';

const c = crew(() => ({ text: 'Noted.' }));

for (const cli of ['codex', 'gemini', 'opencode']) {
  test(`${cli} ${versions[cli]}: a [TASK] typed by the supervisor reaches the model`, async () => {
    const role = `role-${cli}`;
    const { id } = await spawnCli(c.daemon, c.model, cli, `crew-${cli}`, null, { role });
    await c.events.wait(`${cli} idle`, 'agent.state', id, (d) => d.state === 'idle', 60000);
    const task = await c.daemon.api('POST', '/api/v1/tasks', { title: `Say noted (${cli})`, role });
    const delivered = await c.events.wait('the [TASK] delivered', 'message.delivered', '',
      (m) => m.type === 'task' && m.task_id === task.id, 60000)
      .catch(async (e) => assert.fail(`${e.message}\n${await c.daemon.screen(id)}`));
    assert.equal(delivered.data.to, `crew-${cli}`);
    await until('the model to receive the [TASK] line', () =>
      c.model.requests.some((r) => !r.side && r.prompt.includes(`[TASK] ${task.id}`)), 30000)
      .catch(async (e) => assert.fail(`${e.message}\n${await c.daemon.screen(id)}`));
  });
}
