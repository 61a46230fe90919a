// A CLI (pinned, fake model) started in a worktree bosun made of a project: no person is
// needed at its trust dialog when the person trusted the project in the CLI's own config, and
// the dialog waits for a person when they did not. Claude Code 2.1.330 trusts a linked
// worktree of a trusted repository by itself; Gemini CLI 0.61.0 asks for the new folder, and
// bosun answers for it from ~/.gemini/trustedFolders.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { crew, spawnCli } from './tui.mjs';
import { run, versions } from './support.mjs';

const c = crew(() => ({ text: 'Plain answer.' }));

// A git repository at `dir` added to bosun as a project named `name`.
async function project(dir, name) {
  fs.mkdirSync(dir, { recursive: true });
  for (const args of [['init', '-q', '-b', 'main'], ['-c', 'user.name=t', '-c', 'user.email=t@bosun.invalid', 'commit', '-q', '--allow-empty', '-m', 'init']]) {
    const r = await run(['git', '-C', dir, ...args]);
    assert.equal(r.code, 0, r.stderr);
  }
  await c.daemon.api('POST', '/api/v1/projects', { path: dir, name });
}

const cases = [
  { cli: 'claude', trusted: true, answers: false },
  { cli: 'claude', trusted: false },
  { cli: 'gemini', trusted: true, answers: true },
  { cli: 'gemini', trusted: false },
];
for (const { cli, trusted, answers } of cases) {
  test(`${cli} ${versions[cli]}: a worktree of a project ${trusted ? '' : 'not '}trusted in its config`, async () => {
    const name = `${cli}-${trusted ? 'trusted' : 'untrusted'}`;
    const repo = path.join(c.daemon.root, `${name}-repo`);
    await project(repo, name);
    const { id } = await spawnCli(c.daemon, c.model, cli, `${name}-agent`, null, {
      cwd: undefined,
      project: name,
      worktree: true,
      trust: { [repo]: trusted }, // the person's answer for the project; the worktree is new
    });
    if (trusted) {
      await c.events.wait('idle at its composer', 'agent.state', id, (d) => d.state === 'idle', 90000);
      const answered = c.events.seen.filter((e) => e.type === 'agent.dialog_answered' && e.subject === id);
      if (answers) {
        assert.equal(answered.length, 1, 'bosun answered the trust dialog once');
        assert.equal(answered[0].data.dialog, 'trust');
        assert.match(answered[0].data.because, /is trusted in ~\//);
      } else {
        assert.equal(answered.length, 0, 'the CLI asked nothing');
      }
    } else {
      const waiting = await c.events.wait('the trust dialog', 'agent.state', id, (d) => d.state === 'waiting_input', 60000);
      assert.equal(waiting.data.dialog, 'trust');
      // Left to a person: still waiting well after bosun would have answered (1 s after the
      // dialog shows, again a second later), nothing typed.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const now = await c.daemon.api('GET', `/api/v1/agents/${id}`);
      assert.equal(now.state, 'waiting_input');
      assert.ok(!c.events.seen.some((e) => e.type === 'agent.dialog_answered' && e.subject === id));
    }
    await c.daemon.api('POST', `/api/v1/agents/${id}/stop`);
  });
}
