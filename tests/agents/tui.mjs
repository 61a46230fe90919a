// Driving a real CLI's TUI as a bosun agent: spawn it with its profile, type a prompt the way
// its profile says (text, the profile's pause, then Enter on its own), answer dialogs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FakeModel } from './fake_model.mjs';
import { Daemon, Events, bin, pause, prepareCli, until, versions } from './support.mjs';

// Spawns `cli` as an agent named `name` with `argv` in a fresh HOME pointed at the fake model;
// `argv` null: the command bosun builds from the profile, with the installed CLIs on PATH.
// `extra`: more fields of the spawn request (a role, say); `retries`: the CLI keeps its own
// retries of a failed request; `trust`: folders trusted (or not) in its config (prepareCli).
export async function spawnCli(daemon, model, cli, name, argv, { retries = false, trust = {}, ...extra } = {}) {
  const { home, work, env } = prepareCli(cli, model.url, `${daemon.root}/${name}`, { retries, trust });
  const agent = await daemon.api('POST', '/api/v1/agents', {
    name,
    profile: cli,
    ...(argv ? { argv } : {}),
    cwd: work,
    env: { ...env, TERM: 'xterm-256color', LANG: 'C.UTF-8', PATH: `${path.dirname(bin(cli))}:${process.env.PATH}` },
    cols: 120,
    rows: 40,
    ...extra,
  });
  return { id: agent.id, home, work, agent };
}

// Types `text` into the agent's composer, waits until the screen shows it, then — after the
// CLI's paste window (`pauseMs`, the profile's input.pause_ms: an Enter that follows typed text
// at once is taken as part of a paste) — sends Enter.
export async function submit(daemon, id, text, pauseMs) {
  await daemon.api('POST', `/api/v1/agents/${id}/input`, { data: text });
  await until(`"${text}" on the screen`, async () => (await daemon.screen(id)).includes(text));
  await pause(pauseMs);
  await daemon.api('POST', `/api/v1/agents/${id}/input`, { data: '\r' });
}

// Answers a dialog with `keys`. The CLIs drop a key that arrives in the first moments of a
// dialog (real-agents.md, problem 4), and nothing on the screen says when they start to
// listen, so this waits the second that worked for all four before sending.
export async function answerDialog(daemon, id, keys) {
  await pause(1000);
  await daemon.api('POST', `/api/v1/agents/${id}/input`, { data: keys });
}

// The standard checks for one CLI's TUI, as node:test tests: from idle at the composer, a tool
// call the CLI asks permission for (waiting_input from the screen), approved with
// `approveKeys` through the API, then working and idle again with the tool's file made; and an
// API error (errored from the screen) unless `errorOnScreen` is false. `cli` names the profile.
// `errorOnScreen`: true, or the reason the screen cannot show an API error (the test is then
// reported as skipped with that reason).
export function tuiTests(cli, { argv, pauseMs, approveKeys, escalate = false, errorOnScreen = true }) {
  const script = (prompt) => {
    if (prompt.includes('PLEASE TOUCH')) {
      return { tool: { command: 'touch made-by-tool.txt', description: 'Create a file', escalate } };
    }
    if (prompt.includes('PLEASE FAIL')) return { error: { status: 400, message: 'Invalid request (fake failure)' } };
    return { text: 'Plain answer.' };
  };
  const c = crew(script, { afterTool: 'The command ran.' });
  const state = (s) => (d) => d.state === s;
  const start = async (name) => {
    const agent = await spawnCli(c.daemon, c.model, cli, name, argv());
    const idle = await c.events.wait(`${cli} idle at its composer`, 'agent.state', agent.id, state('idle'), 60000);
    assert.equal(idle.data.source, 'screen');
    assert.equal(idle.data.evidence, `${cli}.composer`);
    return agent;
  };

  test(`${cli} ${versions[cli]}: idle, working, waiting for permission, approved through the API, idle`, async () => {
    const { id, work } = await start('perm');
    await submit(c.daemon, id, 'PLEASE TOUCH a file', pauseMs);
    await c.events.wait('working', 'agent.state', id, state('working'));
    const waiting = await c.events.wait('the permission dialog', 'agent.state', id, state('waiting_input'), 60000);
    assert.equal(waiting.data.source, 'screen');
    assert.match(waiting.data.evidence, new RegExp(`^${cli}\\.(approval|confirm|permission)$`));
    assert.ok(!fs.existsSync(path.join(work, 'made-by-tool.txt')), 'the tool ran before it was approved');
    await answerDialog(c.daemon, id, approveKeys);
    await c.events.wait('working after the approval', 'agent.state', id, state('working'));
    const idle = await c.events.wait('idle after the answer', 'agent.state', id, state('idle'), 60000);
    assert.equal(idle.data.evidence, `${cli}.composer`);
    await until('the approved tool to have run', () => fs.existsSync(path.join(work, 'made-by-tool.txt')), 5000);
    assert.ok(c.model.requests.some((r) => r.afterTool), 'the tool result went back to the model');
  });

  const skip = errorOnScreen === true ? false : errorOnScreen;
  test(`${cli} ${versions[cli]}: an API error is errored, from the screen`, { skip }, async () => {
    const { id } = await start('fail');
    await submit(c.daemon, id, 'PLEASE FAIL this turn', pauseMs);
    const errored = await c.events.wait('errored', 'agent.state', id, state('errored'), 60000);
    assert.equal(errored.data.source, 'screen');
    assert.match(errored.data.detail ?? '', /fake failure|400/);
  });
}

// The fake model's answers for the moments a screen reader once misread: a 6 s answer to
// PLEASE THINK, a 503 before the answer to PLEASE RETRY (`failures` counts its requests), a 400
// for PLEASE FAIL and an answer to AFTER ERROR.
export function misreadMoments() {
  const moments = { failures: 0 };
  moments.script = (prompt) => {
    // The CLI sends the whole conversation: the later prompt's words are looked for first.
    if (prompt.includes('AFTER ERROR')) return { text: 'Fine now.' };
    if (prompt.includes('PLEASE FAIL')) return { error: { status: 400, message: 'Invalid request (fake failure)' } };
    if (prompt.includes('PLEASE RETRY')) {
      moments.failures += 1;
      if (moments.failures === 1) return { error: { status: 503, message: 'The model is overloaded (fake)' } };
      return { text: 'Answered after the retry.' };
    }
    if (prompt.includes('PLEASE THINK')) return { text: 'Thought about it.', delay_ms: 6000 };
    return { text: 'Plain answer.' };
  };
  return moments;
}

// The moments a screen reader once misread, as node:test tests for one CLI's TUI (its own
// retries on): a long turn (the answer held back 6 s) with a draft typed into the composer
// meanwhile, and a silent retry (the first request answered 503) are working until the answer,
// with no other state between; an API error is errored, and the next turn, with that error
// still on the screen, is working and then idle (unless `errorOnScreen` is false: the CLI shows
// no error a screen can tell).
export function turnTests(cli, { argv, pauseMs, errorOnScreen = true }) {
  const moments = misreadMoments();
  const slow = crew(moments.script);
  const input = (daemon, id, data) => daemon.api('POST', `/api/v1/agents/${id}/input`, { data });

  test(`${cli} ${versions[cli]}: a long turn with a draft typed meanwhile and a silent retry are working until the answer; an earlier error is history`, async () => {
    const { id } = await spawnCli(slow.daemon, slow.model, cli, 'slow', argv(), { retries: true });
    await slow.events.wait('idle at its composer', 'agent.state', id, (d) => d.state === 'idle', 60000);
    const draft = 'a draft typed meanwhile';
    for (const [prompt, answer] of [
      ['PLEASE THINK about it', 'Thought about it.'],
      ['PLEASE RETRY this', 'Answered after the retry.'],
    ]) {
      const from = slow.events.seen.length;
      await submit(slow.daemon, id, prompt, pauseMs);
      await slow.events.wait(`working on "${prompt}"`, 'agent.state', id, (d) => d.state === 'working');
      if (prompt.includes('THINK')) {
        // Once the prompt has reached the model (opencode takes keys into its box until then).
        await until('the prompt at the model', () => slow.model.requests.some((r) => !r.side && r.prompt?.includes('PLEASE THINK')), 30000);
        await input(slow.daemon, id, draft);
      }
      await slow.events.wait(`idle after "${prompt}"`, 'agent.state', id, (d) => d.state === 'idle', 90000);
      const drawn = await slow.daemon.screen(id);
      assert.ok(drawn.includes(answer), `idle before "${answer}" was drawn:\n${drawn}\n${slow.events.states(id).join(" → ")}`);
      const states = slow.events.seen
        .slice(from)
        .filter((e) => e.type === 'agent.state' && e.subject === id)
        .map((e) => `${e.data.state}/${e.data.source}`);
      assert.equal(states.filter((s) => !s.startsWith('working')).length, 1, states.join(' → '));
      if (prompt.includes('THINK')) {
        await input(slow.daemon, id, '\x7f'.repeat(draft.length));
        await until('the draft rubbed out', async () => !(await slow.daemon.screen(id)).includes(draft), 10000);
      }
    }
    assert.equal(moments.failures, 2, 'the 503 was retried');
    if (!errorOnScreen) return;

    await submit(slow.daemon, id, 'PLEASE FAIL this turn', pauseMs);
    await slow.events.wait('errored', 'agent.state', id, (d) => d.state === 'errored', 90000);
    await submit(slow.daemon, id, 'AFTER ERROR go on', pauseMs);
    await slow.events.wait('working after the error', 'agent.state', id, (d) => d.state === 'working');
    const after = await slow.events.wait('the next state', 'agent.state', id, (d) => d.state !== 'working', 90000);
    assert.equal(after.data.state, 'idle', `${after.data.state} by ${after.data.evidence}`);
  });
}

// The fake model (answering from `script`), a daemon and its events socket, started before the
// file's tests and stopped after them; the returned object's fields are set once they run.
export function crew(script, options = {}) {
  const c = {};
  before(async () => {
    c.model = await new FakeModel(script, options).start();
    c.daemon = await new Daemon().start();
    c.events = await Events.open(c.daemon);
  });
  after(async () => {
    c.events?.close();
    await c.daemon?.stop();
    await c.model?.stop();
  });
  return c;
}

// Proves the supervisor passes over an agent at its usage limit: the crew's other agents are
// stopped, so that it is first in line; it is made idle (a Stop hook, as Claude Code sends at
// the end of a turn), then a sim agent, created after it and so behind it in line, becomes
// idle, and a task that either could take is filed. Without the pause the limited agent would
// get it; with it, the sim agent does.
export async function assertPassedOver(c, agent) {
  const { agents } = await c.daemon.api('GET', '/api/v1/agents');
  const live = new Set(['running', 'working', 'idle', 'waiting_input', 'rate_limited', 'errored']);
  for (const other of agents.filter((a) => a.id !== agent.id && live.has(a.state))) {
    await c.daemon.api('POST', `/api/v1/agents/${other.id}/stop`);
    await c.events.wait(`${other.name} exited`, 'agent.exited', other.id, () => true, 30000);
  }
  // The reply says the state the hook left: an agent its screen already showed idle only
  // changes source (no agent.state event), else the event follows.
  const stopped = await c.daemon.api('POST', `/api/v1/hooks/claude?agent=${agent.name}`, { hook_event_name: 'Stop' });
  if (stopped.state !== 'idle') {
    await c.events.wait(`${agent.name} idle`, 'agent.state', agent.id, (d) => d.state === 'idle');
  }
  const sim = await c.daemon.api('POST', '/api/v1/agents', { name: `sim-after-${agent.name}`, profile: 'sim' });
  await c.events.wait('the sim agent idle', 'agent.state', sim.id, (d) => d.state === 'idle', 30000);
  const task = await c.daemon.api('POST', '/api/v1/tasks', { title: `Work while ${agent.name} is limited` });
  const assigned = await c.events.wait('the task dispatched', 'task.updated', task.id, (d) => d.to === 'assigned', 30000);
  assert.equal(assigned.data.task.assignee, sim.id, `given to ${assigned.data.task.assignee_name}, not the sim agent`);
}

