// The dashboard in a real browser against a real daemon: log in, the crew, a live terminal,
// the board following task changes, a message sent from the page, the event feed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { count, Daemon, launchBrowser, screenshot, terminalText, waitForTerminalText } from './support.mjs';
import { bosun } from '../support/daemon.mjs';

const daemon = new Daemon();
let browser;
let page;

before(async () => {
  await daemon.start();
  browser = await launchBrowser();
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await daemon.stop();
});

test('the page is served without a token and asks for one', async () => {
  const res = await fetch(daemon.url + '/');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.match(res.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  const html = await res.text();
  const script = html.match(/src="(\/assets\/[^"]+\.js)"/)[1];
  const js = await fetch(daemon.url + script, { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(js.status, 200);
  assert.match(js.headers.get('cache-control'), /immutable/);
  const again = await fetch(daemon.url + script, { headers: { 'If-None-Match': js.headers.get('etag') } });
  assert.equal(again.status, 304);
  // The API stays behind the token.
  assert.equal((await fetch(daemon.url + '/api/v1/agents')).status, 401);

  await page.goto(daemon.url + '/');
  await page.locator('input[name=token]').waitFor();
  await screenshot(page, 'login');
});

test('logging in with the token sets the cookie and shows the crew', async () => {
  await page.locator('input[name=token]').fill('not-the-token');
  await page.locator('button[type=submit]').click();
  await page.locator('.login .error').waitFor();
  await page.locator('input[name=token]').fill(daemon.token);
  await page.locator('button[type=submit]').click();
  await page.locator('.view.crew').waitFor();
  const cookies = await browser.context.cookies(daemon.url);
  const cookie = cookies.find((c) => c.name === 'bosun_token');
  assert.ok(cookie?.httpOnly, 'an HttpOnly login cookie');
  await page.locator('[data-testid=link]', { hasText: 'live' }).waitFor();
});

test('the crew shows an agent spawned through the API', async () => {
  // Role qa: the supervisor never hands it the backend tasks below.
  await daemon.api('POST', '/api/v1/agents', {
    name: 'kai',
    role: 'qa',
    argv: ['bash', '--norc', '--noprofile'],
    env: { PS1: 'kai$ ' },
    cols: 100,
    rows: 30,
  });
  await daemon.api('POST', '/api/v1/agents', {
    name: 'ana',
    role: 'reviewer',
    argv: ['bash', '--norc', '--noprofile'],
    env: { PS1: 'ana$ ' },
  });
  const card = page.locator('.agent-card[data-agent=kai]');
  await card.waitFor();
  await card.locator('.badge').waitFor();
  assert.match(await card.locator('dd').first().textContent(), /qa/);
  // Nothing printed yet: the card does not pass the prompt off as output.
  await card.locator('.last-line', { hasText: 'no output yet' }).waitFor();
  await page.locator('.agent-card[data-agent=ana]').waitFor();
});

test('an agent waiting for a person stands out, and the title and icon count it', async () => {
  // The aider profile's screen rules read "(Y)es/(N)o [Yes]:" on the last line as a question.
  await daemon.api('POST', '/api/v1/agents', {
    name: 'ida',
    role: 'ops',
    profile: 'aider',
    argv: ['bash', '--norc', '--noprofile', '-c', 'read -p "Apply edits? (Y)es/(N)o [Yes]: " a; echo answered-$a; sleep 600'],
  });
  const card = page.locator('.agent-card.waiting[data-agent=ida]');
  await card.locator('.needs-you').waitFor();
  await page.locator('[data-testid=waiting-count]', { hasText: '1 waiting for you' }).waitFor();
  await page.waitForFunction(() => document.title === '(1) bosun · Crew');
  assert.match(await page.locator('link[rel=icon]').getAttribute('href'), /^data:image\/svg\+xml,/);
  // Waiting agents come first.
  assert.equal(await page.locator('.agent-card').first().getAttribute('data-agent'), 'ida');
  await screenshot(page, 'crew-waiting');

  await daemon.api('POST', '/api/v1/agents/ida/input', { data: 'y', submit: true });
  await page.waitForFunction(() => document.title === 'bosun · Crew');
  assert.equal(await page.locator('link[rel=icon]').getAttribute('href'), '/favicon.svg');
  await daemon.api('DELETE', '/api/v1/agents/ida');
  await page.locator('.agent-card[data-agent=ida]').waitFor({ state: 'detached' });
});

test('typing into the terminal reaches the agent and its output comes back', async () => {
  await page.locator('.agent-card[data-agent=kai] button', { hasText: 'Terminal' }).click();
  const panel = page.locator('.term-panel[data-agent=kai]');
  await panel.locator('[data-testid=term-link]', { hasText: 'live' }).waitFor();
  await waitForTerminalText(page, 'kai', 'kai$');
  await panel.locator('.term-host').click();
  await page.keyboard.type('echo hi-$((6*7))');
  await page.keyboard.press('Enter');
  await waitForTerminalText(page, 'kai', '\nhi-42');
  await page.locator('.term-panel[data-agent=kai] .xterm-rows', { hasText: 'hi-42' }).waitFor();

  // The terminal was fitted to its panel and the size sent to the agent's PTY.
  const size = await page.evaluate(() => {
    for (const s of window.__bosunTerminals) if (s.agentName === 'kai') return [s.term.rows, s.term.cols];
  });
  await page.keyboard.type('stty size');
  await page.keyboard.press('Enter');
  await waitForTerminalText(page, 'kai', `\n${size[0]} ${size[1]}`);
  assert.notDeepEqual(size, [30, 100], 'the panel size differs from the spawn size');

  // A second terminal beside the first.
  const ana = await daemon.api('GET', '/api/v1/agents/ana');
  await page.locator('.view.terminals select').selectOption(ana.id);
  const second = page.locator('.term-panel[data-agent=ana]');
  await second.locator('[data-testid=term-link]', { hasText: 'live' }).waitFor();
  await second.locator('.term-host').click();
  await page.keyboard.type('seq 1 20000');
  await page.keyboard.press('Enter');
  await waitForTerminalText(page, 'ana', '\n20000\nana$');

  // Output is written once per animation frame, not once per WebSocket frame.
  const stats = await page.evaluate(() => [...window.__bosunTerminals].map((s) => ({ ...s.stats })));
  for (const s of stats) assert.ok(s.writes <= s.frames, `writes ${s.writes} ≤ frames ${s.frames}`);
  assert.equal(count(await terminalText(page, 'kai'), '\nhi-42'), 1);
  await screenshot(page, 'terminals');
});

test('the board shows a task created through the API and moves it when its status changes', async () => {
  const deps = await daemon.api('POST', '/api/v1/tasks', { title: 'Sketch the token format', role: 'backend', priority: 1 });
  const task = await daemon.api('POST', '/api/v1/tasks', {
    title: 'Parse the config file',
    role: 'backend',
    priority: 0,
    description: 'Read bosun.yaml and report errors with line numbers.',
    depends_on: [deps.id],
  });
  await daemon.api('POST', '/api/v1/tasks', { title: 'Write the release notes', role: 'docs', status: 'backlog' });
  await page.locator('nav a[data-view=board]').click();
  await page.locator(`.column[data-column=pending] [data-task=${task.id}]`).waitFor();

  await daemon.api('PATCH', `/api/v1/tasks/${task.id}`, { status: 'backlog', reason: 'not this week' });
  await page.locator(`.column[data-column=backlog] [data-task=${task.id}]`).waitFor();
  assert.equal(await page.locator(`.column[data-column=pending] [data-task=${task.id}]`).count(), 0);

  await daemon.api('PATCH', `/api/v1/tasks/${deps.id}`, { assignee: 'kai' });
  await page.locator(`.column[data-column=assigned] [data-task=${deps.id}]`).waitFor();
  await screenshot(page, 'board');

  // Create one from the page, then open it: its history is there.
  await page.locator('button', { hasText: 'New task' }).click();
  await page.locator('.modal input[name=title]').fill('Add a --dry-run flag');
  await page.locator('.modal select[name=priority]').selectOption('3');
  await page.locator('.modal input[name=role]').fill('docs'); // no docs agent: it stays pending
  await page.locator('.modal button[type=submit]').click();
  const created = page.locator('.column[data-column=pending] .task-card', { hasText: 'Add a --dry-run flag' });
  await created.waitFor();
  await page.locator(`[data-task=${task.id}]`).click();
  await page.locator(`.detail[data-detail=${task.id}] .history li`, { hasText: 'not this week' }).waitFor();
  await screenshot(page, 'board-task');
  const { tasks } = await daemon.api('GET', '/api/v1/tasks?limit=100');
  assert.ok(tasks.some((t) => t.title === 'Add a --dry-run flag' && t.priority === 3 && t.role === 'docs'));
});

test('a message sent from the page reaches the agent inbox', async () => {
  await page.locator('nav a[data-view=mail]').click();
  await page.locator('.boxes a[data-box=kai]').click();
  await page.locator('.compose select[name=to]').selectOption('kai');
  await page.locator('.compose input[name=subject]').fill('review the parser');
  await page.locator('.compose textarea[name=body]').fill('It is in src/config.cpp.');
  await page.locator('.compose button[type=submit]').click();
  const status = await page.locator('[data-testid=send-status]', { hasText: 'sent m_' }).textContent();
  const id = status.match(/m_\w+/)[0];
  const inbox = await daemon.api('GET', '/api/v1/agents/kai/inbox');
  assert.ok(
    inbox.messages.some((m) => m.id === id && m.subject === 'review the parser' && m.from === 'user'),
    JSON.stringify(inbox),
  );
  // kai is a shell: nothing is typed into it, the message waits in its inbox; once read
  // there, the page follows its state.
  await page.locator(`tr[data-message=${id}] .badge.msg-queued`).waitFor({ timeout: 20000 });
  await daemon.api('POST', '/api/v1/agents/kai/input', { data: `${bosun} mail read ${id}`, submit: true });
  await page.locator(`tr[data-message=${id}] .badge.msg-acked`).waitFor({ timeout: 20000 });
  await screenshot(page, 'mailbox');
});

test('the event feed is live and filters', async () => {
  await page.locator('nav a[data-view=events]').click();
  await page.locator('tr[data-type="message.created"]').first().waitFor();
  await daemon.api('POST', '/api/v1/journal', { text: 'feed check' });
  await page.locator('tr[data-type="journal.created"]').waitFor();
  await page.locator('.view.events select[name=kind]').selectOption('task');
  await page.locator('tr[data-type="journal.created"]').waitFor({ state: 'detached' });
  assert.ok((await page.locator('tr[data-type="task.created"]').count()) >= 3);
  await page.locator('.view.events select[name=kind]').selectOption('all');
  await screenshot(page, 'events');
});

test('the crew shows the task each agent holds', async () => {
  await page.locator('nav a[data-view=crew]').click();
  await page.locator('.agent-card[data-agent=kai] dd a', { hasText: 'Sketch the token format' }).waitFor();
  // Its last line of output, not the prompt below it.
  await daemon.api('POST', '/api/v1/agents/kai/input', { data: 'echo last-$((2+3))', submit: true });
  await page.waitForFunction(
    () => document.querySelector('.agent-card[data-agent=kai] .last-line')?.textContent === 'last-5',
  );
  await screenshot(page, 'crew');
});

test('a task on the recovery ladder shows where it is, step by step', async () => {
  // Last: the fast deadlines below apply to the whole crew from here on.
  await daemon.api('PUT', '/api/v1/supervisor', { stuck_after: '300ms', recover_step: '300ms' });
  const hung = await daemon.api('POST', '/api/v1/agents', {
    name: 'hung',
    role: 'ladder',
    profile: 'sim',
    args: ['--misbehave', 'hang', '--work-ms', '50'],
  });
  const task = await daemon.api('POST', '/api/v1/tasks', { title: 'Tidy the changelog', role: 'ladder' });
  await page.locator('nav a[data-view=board]').click();
  await page.locator(`[data-task=${task.id}]`).click();
  const recovery = page.locator(`.detail[data-detail=${task.id}] [data-testid=task-recovery]`);
  await recovery.filter({ hasText: 'nudged (hung)' }).waitFor({ timeout: 20000 });
  await recovery.filter({ hasText: 'nudged (hung) → interrupted (hung)' }).waitFor({ timeout: 20000 });
  await page.locator(`.detail[data-detail=${task.id}] .history li`, { hasText: 'recovery' }).first().waitFor();
  await screenshot(page, 'task-recovery');
  await daemon.api('DELETE', `/api/v1/agents/${hung.id}`);
});
