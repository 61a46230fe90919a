// Claude Code (the pinned CLI, fake model) in a bubblewrap sandbox with permission unattended:
// a tool call that would have waited for a person runs without one, and a tool call that
// writes to a file of the person's outside the agent's folder fails, its error going back to
// the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { crew, spawnCli, submit } from './tui.mjs';
import { bwrapUnusable, until, versions } from './support.mjs';

let outside = '';
const script = (prompt) => {
  if (prompt.includes('PLEASE ESCAPE')) return { tool: { command: `echo escaped >> ${outside}`, description: 'Write outside' } };
  if (prompt.includes('PLEASE TOUCH')) return { tool: { command: 'touch made-by-tool.txt', description: 'Create a file' } };
  return { text: 'Plain answer.' };
};
const results = [];
const c = crew(script, {
  afterTool: (result) => {
    results.push(result);
    return { text: 'Noted.' };
  },
});

// bubblewrap must be able to make its namespaces here (scripts/deps installs it).
const skip = await bwrapUnusable();

test(`claude ${versions.claude}: unattended in a sandbox runs tools without a person, and only inside`, { skip }, async () => {
  // A file of the person's in HOME, outside the agent's folder (prepareCli's HOME for 'boxed').
  outside = path.join(c.daemon.root, 'boxed', 'claude-home', 'notes.txt');
  fs.mkdirSync(path.dirname(outside), { recursive: true });
  fs.writeFileSync(outside, 'mine\n');
  const agent = await spawnCli(c.daemon, c.model, 'claude', 'boxed', null, {
    sandbox: 'bwrap',
    permission: 'unattended',
  });
  assert.deepEqual(agent.agent.sandbox, { kind: 'bwrap', network: 'on' });
  assert.ok(agent.agent.argv.includes('--dangerously-skip-permissions'), agent.agent.argv.join(' '));
  assert.equal(path.join(agent.home, 'notes.txt'), outside);
  const { id, work } = agent;
  const states = (s) => (d) => d.state === s;
  await c.events.wait('idle at its composer', 'agent.state', id, states('idle'), 60000);

  await submit(c.daemon, id, 'PLEASE TOUCH a file', 300);
  await until('the tool to have run', () => fs.existsSync(path.join(work, 'made-by-tool.txt')), 30000);
  await c.events.wait('idle after the answer', 'agent.state', id, states('idle'), 60000);

  await submit(c.daemon, id, 'PLEASE ESCAPE the folder', 300);
  await until('the tool result of the escape', () => results.length >= 2, 30000);
  await c.events.wait('idle after the answer', 'agent.state', id, states('idle'), 60000);
  assert.equal(fs.readFileSync(outside, 'utf8'), 'mine\n', 'a file outside the sandbox was written');
  assert.match(results[1], /Read-only file system/);
  const waited = c.events.states(id).filter((s) => s.startsWith('waiting_input'));
  assert.deepEqual(waited, [], 'nobody was asked');
});
