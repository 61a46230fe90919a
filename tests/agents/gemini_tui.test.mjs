// Gemini CLI's real TUI as a bosun agent against the fake model (tui.mjs says what is checked),
// and the moments its screen reader once misread: a long turn, whose "Thinking…" row sits above
// a rule and a hint row, not next to the composer; a silent retry of a 503; and an API error of
// an earlier turn still on the screen once the next turn is answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bin } from './support.mjs';
import { crew, misreadMoments, spawnCli, submit, tuiTests } from './tui.mjs';

tuiTests('gemini', { argv: () => [bin('gemini')], pauseMs: 300, approveKeys: '\r' });

const moments = misreadMoments();
const slow = crew(moments.script);

test('gemini: a long turn and a silent retry are working until the answer; an earlier error is history', async () => {
  const { id } = await spawnCli(slow.daemon, slow.model, 'gemini', 'slow', [bin('gemini')]);
  await slow.events.wait('idle at its composer', 'agent.state', id, (d) => d.state === 'idle', 60000);
  for (const [prompt, answer] of [
    ['PLEASE THINK about it', 'Thought about it.'],
    ['PLEASE RETRY this', 'Answered after the retry.'],
  ]) {
    const from = slow.events.seen.length;
    await submit(slow.daemon, id, prompt, 300);
    await slow.events.wait(`working on "${prompt}"`, 'agent.state', id, (d) => d.state === 'working');
    await slow.events.wait(`idle after "${prompt}"`, 'agent.state', id, (d) => d.state === 'idle', 90000);
    assert.ok((await slow.daemon.screen(id)).includes(answer), `idle before "${answer}" was drawn`);
    const states = slow.events.seen
      .slice(from)
      .filter((e) => e.type === 'agent.state' && e.subject === id)
      .map((e) => `${e.data.state}/${e.data.source}`);
    assert.equal(states.filter((s) => !s.startsWith('working')).length, 1, states.join(' → '));
  }
  assert.equal(moments.failures, 2, 'the 503 was retried');

  // An API error is errored; the next turn, with that error still on the screen above it, is
  // working and then idle: the error belongs to an earlier turn.
  await submit(slow.daemon, id, 'PLEASE FAIL this turn', 300);
  await slow.events.wait('errored', 'agent.state', id, (d) => d.state === 'errored', 90000);
  await submit(slow.daemon, id, 'AFTER ERROR go on', 300);
  await slow.events.wait('working after the error', 'agent.state', id, (d) => d.state === 'working');
  const after = await slow.events.wait('the next state', 'agent.state', id, (d) => d.state !== 'working', 90000);
  assert.equal(after.data.state, 'idle', `${after.data.state} by ${after.data.evidence}`);
  assert.ok((await slow.daemon.screen(id)).includes('API Error'), 'the error is still on the screen');
});
