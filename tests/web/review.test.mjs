// Reviewing agent work in the browser, against a real daemon, a real git repository and a sim
// agent in its own worktree: the needs-you count, a task's diff (files, highlighting, side by
// side, whitespace), approving with the keyboard (the file lands on main), rejecting with a
// reason (back to the agent on its branch), browser notifications (what needs you, and the
// daemon's other edges), spawning and stopping an agent from the crew view, and the phone layout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Daemon, launchBrowser, screenshot, until } from './support.mjs';
import { bosun } from '../support/daemon.mjs';

const daemon = new Daemon();
let browser;
let page;
let repo;
let hello; // the task approved
let bye; // the task rejected
const diffRequests = []; // the diff URLs the page fetched

function git(cwd, ...args) {
  return execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8' }).trim();
}

function write(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

async function task(id) {
  return daemon.api('GET', `/api/v1/tasks/${id}`);
}

before(async () => {
  repo = path.join(daemon.root, 'app');
  fs.mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.name', 'test');
  git(repo, 'config', 'user.email', 'test@bosun.invalid');
  write(path.join(repo, 'README.md'), 'app\n');
  write(path.join(repo, '.bosun', 'roles', 'backend.md'), '---\nname: backend\ndescription: server code\n---\nYou write the server.\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'init');
  await daemon.start();
  const project = await daemon.api('POST', '/api/v1/projects', { path: repo, execution_mode: 'review' });
  await daemon.api('POST', '/api/v1/agents', {
    name: 'kai',
    role: 'backend',
    profile: 'sim',
    project: project.id,
    worktree: true,
    argv: [bosun, 'sim-agent', '--work-ms', '40'],
  });
  browser = await launchBrowser();
  page = browser.page;
  page.on('request', (r) => {
    if (r.url().includes('/diff?')) diffRequests.push(r.url());
  });
  // Notifications: granted for the daemon's origin; every one the page shows is recorded.
  await browser.context.grantPermissions(['notifications'], { origin: daemon.url });
  await page.addInitScript(() => {
    const Real = window.Notification;
    window.__notes = [];
    window.Notification = class extends Real {
      constructor(title, options) {
        super(title, options);
        window.__notes.push({ title, body: options?.body ?? '' });
      }
    };
  });
});

after(async () => {
  await browser?.close();
  await daemon.stop();
});

test('tasks in review are counted in the title and icon, and each one notifies once', async () => {
  await page.goto(`${daemon.url}/#token=${daemon.token}`);
  await page.locator('.view.crew').waitFor();
  await page.locator('[data-testid=link]', { hasText: 'live' }).waitFor();
  await page.locator('nav a[data-view=review]').click();
  await page.locator('.view.review .empty').waitFor();

  hello = (
    await daemon.api('POST', '/api/v1/tasks', {
      title: 'Say hello',
      role: 'backend',
      description: 'write src/hello.txt: hello\nwrite src/greet.ts: export const greeting: string = "hello";',
    })
  ).id;
  await page.locator(`[data-review-task=${hello}]`).waitFor({ timeout: 30000 });
  bye = (await daemon.api('POST', '/api/v1/tasks', { title: 'Say bye', role: 'backend', description: 'write src/bye.txt: bye' })).id;
  await page.locator(`[data-review-task=${bye}]`).waitFor({ timeout: 30000 });

  await page.waitForFunction(() => document.title === '(2) bosun · Review');
  await page.locator('[data-testid=waiting-count]', { hasText: '2 waiting for you' }).waitFor();
  assert.match(await page.locator('link[rel=icon]').getAttribute('href'), /^data:image\/svg\+xml,/);
  const notes = await page.evaluate(() => window.__notes);
  assert.deepEqual(
    notes.map((n) => n.body),
    ['Task in review: Say hello', 'Task in review: Say bye'],
  );
});

test("a task's diff shows its own files, highlighted, unified or side by side", async () => {
  await page.locator(`[data-review-task=${hello}]`).click();
  const panel = page.locator(`.detail[data-detail=${hello}]`);
  await panel.locator('[data-testid=merge-state][data-result=fast_forward]').waitFor();
  const file = panel.locator('.diff-file[data-file="src/greet.ts"]');
  await file.locator('tr.add', { hasText: 'export const greeting' }).waitFor();
  // highlight.js marked the TypeScript keywords.
  assert.ok((await file.locator('.hljs-keyword').count()) >= 2);
  await panel.locator('.diff-file[data-file="src/hello.txt"] tr.add', { hasText: 'hello' }).waitFor();
  // Only this task's files: the other task's bye.txt is not here.
  assert.deepEqual(await panel.locator('.diff-file').evaluateAll((els) => els.map((e) => e.dataset.file)), [
    'src/greet.ts',
    'src/hello.txt',
  ]);
  // j and k move through the files.
  await page.locator('body').press('j');
  await panel.locator('.diff-file.active[data-file="src/hello.txt"]').waitFor();
  await page.locator('body').press('k');
  await panel.locator('.diff-file.active[data-file="src/greet.ts"]').waitFor();
  // Side by side, then the whitespace toggle (which fetches the diff again).
  await file.locator('[data-testid=diff-mode]').click();
  await file.locator('table.split td.code.add', { hasText: 'export const greeting' }).waitFor();
  await panel.locator('[data-testid=whitespace]').check();
  await until('the diff fetched without whitespace changes', () => diffRequests.some((u) => u.includes('whitespace=ignore')));
  // The file keeps its side-by-side mode across the toggle.
  await file.locator('table.split td.code.add', { hasText: 'export const greeting' }).waitFor();
  await screenshot(page, 'review-diff');
});

test('approving with the keyboard merges the task: its files are on main and it is done', async () => {
  await page.locator('body').press('a');
  await page.locator('[data-testid=confirm]').waitFor();
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=outcome]', { hasText: 'merged into main' }).waitFor({ timeout: 20000 });
  await until('the task to be done', async () => (await task(hello)).status === 'done');
  assert.equal(git(repo, 'show', 'main:src/hello.txt'), 'hello');
  assert.match(git(repo, 'show', 'main:src/greet.ts'), /greeting/);
  assert.throws(() => execFileSync('git', ['-C', repo, 'cat-file', '-e', 'main:src/bye.txt'], { stdio: 'ignore' }));
  await page.waitForFunction(() => document.title === '(1) bosun · Review');
  await page.locator(`[data-review-task=${hello}]`).waitFor({ state: 'detached' });
});

test('rejecting sends the task back to its agent, on its branch, with the reason', async () => {
  await page.locator(`[data-review-task=${bye}]`).click();
  const panel = page.locator(`.detail[data-detail=${bye}]`);
  await panel.locator('.diff-file[data-file="src/bye.txt"]').waitFor();
  await page.locator('body').press('r');
  await panel.locator('textarea[name=reason]').fill('say it twice');
  await panel.locator('[data-testid=reject-send]').click();
  await panel.locator('[data-testid=outcome]', { hasText: 'Sent back to kai' }).waitFor();
  const history = await daemon.api('GET', `/api/v1/tasks/${bye}/history`);
  assert.ok(
    history.history.some((h) => h.field === 'status' && h.from === 'review' && h.to === 'assigned' && /say it twice/.test(h.reason)),
    JSON.stringify(history),
  );
  const t = await task(bye);
  assert.equal(t.assignee_name, 'kai');
  assert.equal(t.branch, `bosun-task/kai/${bye}`);
  // The page shows the reason in history, as written by "you", not an id.
  await panel.locator('.history li', { hasText: 'say it twice' }).waitFor();
});

test('an agent is spawned and stopped from the crew view, with a confirmation', async () => {
  await page.locator('nav a[data-view=crew]').click();
  await page.locator('[data-testid=spawn]').click();
  const form = page.locator('[data-testid=spawn-form]');
  await form.locator('input[name=name]').fill('zed');
  await form.locator('input[name=command]').fill(`bash --norc --noprofile -c 'echo "zed is up"; exec bash --norc --noprofile'`);
  await form.locator('button[type=submit]').click();
  const card = page.locator('.agent-card[data-agent=zed]');
  await card.waitFor();
  // The card shows its real output, not its prompt.
  await card.locator('.last-line', { hasText: 'zed is up' }).waitFor({ timeout: 15000 });
  const zed = await daemon.api('GET', '/api/v1/agents/zed');
  assert.deepEqual(zed.run.argv.slice(0, 3), ['bash', '--norc', '--noprofile']);
  assert.equal(zed.run.argv[4], 'echo "zed is up"; exec bash --norc --noprofile');

  await card.locator('[data-testid=agent-menu] summary').click();
  await card.locator('[data-testid=agent-stop]').click();
  await page.locator('[data-testid=confirm]', { hasText: 'Stop zed?' }).waitFor();
  await page.locator('[data-testid=confirm-no]').click(); // cancelled: nothing happens
  assert.notEqual((await daemon.api('GET', '/api/v1/agents/zed')).state, 'exited');
  await card.locator('[data-testid=agent-menu] summary').click();
  await card.locator('[data-testid=agent-stop]').click();
  await page.locator('[data-testid=confirm-yes]').click();
  await card.locator('.badge[data-state=exited]').waitFor({ timeout: 15000 });
  await screenshot(page, 'crew-controls');

  await card.locator('[data-testid=agent-menu] summary').click();
  await card.locator('[data-testid=agent-remove]').click();
  await page.locator('[data-testid=confirm-yes]').click();
  await card.waitFor({ state: 'detached' });
  const { agents } = await daemon.api('GET', '/api/v1/agents');
  assert.ok(!agents.some((a) => a.name === 'zed'));
});

test("an agent's unexpected exit notifies the browser once, and the event feed says so", async () => {
  const quiet = await daemon.api('POST', '/api/v1/agents', { name: 'quiet', argv: ['sleep', '1000'] });
  const before = (await page.evaluate(() => window.__notes)).length;
  process.kill(quiet.pid, 'SIGKILL');
  await page.waitForFunction((n) => window.__notes.length > n, before, { timeout: 15000 });
  const notes = (await page.evaluate(() => window.__notes)).slice(before);
  assert.deepEqual(notes.map((n) => n.title), ['bosun: quiet exited (killed by signal 9)']);
  await page.locator('nav a[data-view=events]').click();
  await page.locator('.view.events', { hasText: 'needs you: quiet exited (killed by signal 9)' }).waitFor();
  await daemon.api('DELETE', `/api/v1/agents/${quiet.id}`);
});

test('the projects view lists the worktrees and the usage', async () => {
  await page.locator('nav a[data-view=projects]').click();
  await page.locator('.project[data-project=app] tr[data-worktree=kai]').waitFor();
  await page.locator('[data-testid=usage]').waitFor();
  await screenshot(page, 'projects');
});

test("the task panel sits beside the board's columns, not over the last one", async () => {
  await page.evaluate((id) => (location.hash = `#/board/${id}`), hello);
  const panel = page.locator(`.detail[data-detail=${hello}]`);
  await panel.waitFor();
  const columns = await page.locator('.columns').boundingBox();
  const detail = await panel.boundingBox();
  assert.ok(columns.x + columns.width <= detail.x, `columns end at ${columns.x + columns.width}, the panel starts at ${detail.x}`);
  // The last column is reachable: scrolled into view, it is inside the columns' box.
  const last = page.locator('.column').last();
  await last.scrollIntoViewIfNeeded();
  const box = await last.boundingBox();
  assert.ok(box.x >= columns.x - 1 && box.x + box.width <= columns.x + columns.width + 1, JSON.stringify({ box, columns }));
});

test('on a phone (390 px) no view scrolls sideways and the task panel covers the list', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  const views = { crew: 'crew', review: 'review', terminals: 'terminals', board: 'board', mail: 'mailbox', projects: 'projects', events: 'events' };
  for (const [view, cls] of Object.entries(views)) {
    await page.evaluate((v) => (location.hash = `#/${v}`), view);
    await page.locator(`nav a.active[data-view=${view}]`).waitFor();
    await page.locator(`main .view.${cls}`).waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `#/${view} is ${width} px wide`);
  }
  await page.evaluate((id) => (location.hash = `#/board/${id}`), hello);
  const panel = page.locator(`.detail[data-detail=${hello}]`);
  await panel.waitFor();
  const box = await panel.boundingBox();
  assert.ok(box.width >= 380 && box.width <= 390, `panel ${box.width} px`);
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390);
  await screenshot(page, 'mobile-task');
  await page.setViewportSize({ width: 1360, height: 820 });
});
