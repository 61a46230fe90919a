// docs/quickstart-other-clis.md: the quickstart's commands with Codex, Gemini CLI and opencode —
// a role, a team file with the CLI's profile (sandboxed, unattended), `bosun up`, a task, the
// review list, `bosun task approve` (merged into main) and `bosun down`. Only the model is
// fake; the environment that points each CLI at it is the one thing added to the team file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FakeModel } from './fake_model.mjs';
import { bin, bosun, bwrapUnusable, commitRepo, crewScript, prepareCli, run, until, versions } from './support.mjs';

const skip = await bwrapUnusable();


for (const cli of ['codex', 'gemini', 'opencode']) {
  test(`docs/quickstart-other-clis.md with ${cli} ${versions[cli]}: sandboxed, unattended, reviewed and merged`, { skip, timeout: 200000 }, async () => {
    const model = await new FakeModel(crewScript, { afterTool: 'Done: committed, reported and mailed.' }).start();
    const root = fs.realpathSync(fs.mkdtempSync(`/tmp/bosun-quickstart-${cli}-`));
    const repo = path.join(root, 'app');
    const { env: cliEnv } = prepareCli(cli, model.url, root, { trust: { [repo]: true } });
    // CI=true as a CI job's shell has it: Gemini CLI would run headless and exit if its agent
    // inherited it (bosun keeps CI markers from its agents, which are at a terminal).
    const env = { ...process.env, CI: 'true', ...cliEnv, PATH: `${path.dirname(bin(cli))}:${process.env.PATH}` };
    for (const key of Object.keys(env)) if (key.startsWith('BOSUN_') && key !== 'BOSUN_BINARY') delete env[key];
    const sh = (args, ms = 60000) => run([bosun, ...args], { cwd: repo, env, ms });
    const git = (...args) => run(['git', '-C', repo, ...args]);
    try {
      fs.mkdirSync(path.join(repo, '.bosun', 'roles'), { recursive: true });
      fs.writeFileSync(path.join(repo, '.bosun', 'roles', 'coder.md'),
        '---\nname: coder\ndescription: writes the code for a task\n---\nYou write code. Commit it, then report it.\n');
      await commitRepo(repo, 'roles');
      fs.writeFileSync(path.join(repo, 'bosun.yaml'), [
        'project: .',
        'sandbox: bwrap',
        'permission: unattended',
        'agents:',
        `  - {name: coder, role: coder, profile: ${cli}, worktree: true, env: ${JSON.stringify({ ...cliEnv, PATH: env.PATH })}}`,
        '',
      ].join('\n'));
      const up = await sh(['up'], 120000);
      assert.equal(up.code, 0, up.stdout + up.stderr);
      const add = await sh(['task', 'add', 'Write the parser', '--role', 'coder', '--json']);
      assert.equal(add.code, 0, add.stderr);
      const id = JSON.parse(add.stdout).id;
      await until('the task in review', async () => {
        const list = JSON.parse((await sh(['task', 'list', '--status', 'review', '--json'])).stdout);
        return (Array.isArray(list) ? list : list.tasks ?? []).some((t) => t.id === id);
      }, 120000, 500).catch(async (e) => {
        const screen = (await sh(['agent', 'screen', 'coder'])).stdout;
        const show = (await sh(['agent', 'show', 'coder'])).stdout;
        assert.fail(`${e.message}\n${(await sh(['task', 'list'])).stdout}\n${show}\n${screen}`);
      });
      const journal = await sh(['events', '--json', '--kind', 'agent.state', '--since', '0', '--limit', '1000']);
      assert.match(journal.stdout, /"state":"working"/);
      // Nobody was asked to approve a tool call (a trust dialog bosun answered may show).
      const asked = journal.stdout.split('\n').filter((l) => l.includes('"waiting_input"') && !l.includes('"dialog":"trust"'));
      assert.deepEqual(asked, []);
      const approve = await sh(['task', 'approve', id]);
      assert.equal(approve.code, 0, approve.stdout + approve.stderr);
      assert.equal((await git('show', `main:${id}.txt`)).stdout.trim(), id);
      const down = await sh(['down']);
      assert.equal(down.code, 0, down.stderr);
    } finally {
      await sh(['down']);
      await model.stop();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
}
