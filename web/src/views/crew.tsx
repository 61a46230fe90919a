// Crew: one card per agent — state, role, profile, current task, branch and the last line of
// its real output — with its controls, and a form to spawn one. Agents waiting for a person
// come first and stand out.
import { useEffect, useState } from 'preact/hooks';
import { ago, type Agent, get, type Screen, type Task } from '../api';
import { isWaiting, store, useStore } from '../store';
import { navigate } from '../nav';
import { StateBadge } from './badge';
import { AgentActions, SpawnDialog } from './agent_controls';

const kEnded = new Set(['exited', 'lost']);

function branchOf(a: Agent): string {
  if (a.branch) return a.branch;
  if (a.worktree && typeof a.worktree === 'object' && a.worktree.branch) return a.worktree.branch;
  return '';
}

function currentTask(a: Agent, tasks: Iterable<Task>): Task | undefined {
  let best: Task | undefined;
  for (const t of tasks) {
    if (t.assignee !== a.id && t.assignee_name !== a.name) continue;
    if (t.status === 'in_progress') return t;
    if (t.status === 'assigned' || t.status === 'review' || t.status === 'blocked') best ??= t;
  }
  return best;
}

// A row that is frame, not output: blank, or only box-drawing characters and blanks (a
// composer's border, a rule).
function isFrame(line: string): boolean {
  return /^[\s\u2500-\u257f\u2580-\u259f·•─━]*$/.test(line);
}

// The last line of real output: the last non-frame line above the cursor's row — the cursor sits
// on the prompt or in the composer, which is input, not output. An input box's own rows (│ > …)
// are skipped too. '' when nothing was printed yet.
export function lastOutputLine(screen: Screen): string {
  const cursor = Math.min(screen.cursor.row, screen.lines.length - 1);
  let r = cursor - 1;
  // Inside a drawn box the cursor's box continues upward: skip to above its top border.
  if (/^\s*[│┃|]/.test(screen.lines[cursor] ?? '')) {
    while (r >= 0 && /^\s*[│┃|]/.test(screen.lines[r])) --r;
  }
  for (; r >= 0; --r) {
    const line = screen.lines[r].trimEnd();
    if (!isFrame(line)) return line;
  }
  return '';
}

// Keeps the last screen line of every live agent while the crew view is open: every 2 s, and
// at once for an agent whose state just changed.
function useLastLines() {
  useEffect(() => {
    let stopped = false;
    const fetchLine = async (id: string) => {
      try {
        const line = lastOutputLine(await get<Screen>(`/api/v1/agents/${id}/screen`));
        if (store.lastLines.get(id) !== line) {
          store.lastLines.set(id, line);
          store.notify();
        }
      } catch {
        // Not running any more; the card says so.
      }
    };
    let timer = 0;
    const refresh = async () => {
      const live = [...store.agents.values()].filter((a) => !kEnded.has(a.state));
      await Promise.all(live.map((a) => fetchLine(a.id)));
      if (!stopped) timer = window.setTimeout(refresh, 2000);
    };
    void refresh();
    const off = store.onEvent((e) => {
      if (e.type === 'agent.state' || e.type === 'agent.created') void fetchLine(e.subject);
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
      off();
    };
  }, []);
}

function AgentCard({ agent, task }: { agent: Agent; task?: Task }) {
  // The branch it works on: its task's own, else its worktree's.
  const branch = (task?.status !== 'done' && task?.branch) || branchOf(agent);
  const line = store.lastLines.get(agent.id) ?? '';
  const waiting = isWaiting(agent);
  return (
    <article class={`agent-card${waiting ? ' waiting' : ''}`} data-agent={agent.name}>
      {waiting && <div class="needs-you">Needs you</div>}
      <header>
        <h3>{agent.name}</h3>
        <StateBadge agent={agent} />
      </header>
      <dl>
        <dt>role</dt>
        <dd>{agent.role || '—'}</dd>
        <dt>profile</dt>
        <dd>{agent.profile || '—'}</dd>
        {agent.host && (
          <>
            <dt>host</dt>
            <dd data-testid="host">
              {agent.host}
              {agent.remote ? ' (another daemon)' : ''}
            </dd>
          </>
        )}
        <dt>task</dt>
        <dd>
          {task ? (
            <a href={`#/board/${task.id}`} title={task.status}>
              {task.title}
            </a>
          ) : (
            '—'
          )}
        </dd>
        {agent.context && (
          <>
            <dt>context</dt>
            <dd data-testid="context" title={`from ${agent.context.source}`}>
              <meter min={0} max={100} low={60} high={80} optimum={0} value={agent.context.percent} />{' '}
              {agent.context.percent}%
            </dd>
          </>
        )}
        {branch && (
          <>
            <dt>branch</dt>
            <dd>
              <code>{branch}</code>
            </dd>
          </>
        )}
      </dl>
      <pre class={`last-line${line ? '' : ' muted'}`} title={agent.last_output_at ? `output ${ago(agent.last_output_at)}` : ''}>
        {line || 'no output yet'}
      </pre>
      <footer>
        <button onClick={() => navigate('terminals', agent.name)}>Terminal</button>
        <button class="secondary" onClick={() => navigate('mail', agent.name)}>
          Mail
        </button>
        <span class="grow" />
        <AgentActions agent={agent} />
      </footer>
    </article>
  );
}

export function Crew() {
  const s = useStore();
  useLastLines();
  const agents = [...s.agents.values()].sort(
    (a, b) => Number(isWaiting(b)) - Number(isWaiting(a)) || a.name.localeCompare(b.name),
  );
  const waiting = agents.filter(isWaiting);
  const tasks = [...s.tasks.values()];
  const [spawning, setSpawning] = useState(false);
  return (
    <section class="view crew">
      <div class="toolbar">
        <button onClick={() => setSpawning(true)} data-testid="spawn">
          Spawn agent
        </button>
        <span class="muted">
          {agents.length} agent{agents.length === 1 ? '' : 's'}
        </span>
      </div>
      {spawning && <SpawnDialog onDone={() => setSpawning(false)} />}
      {waiting.length > 0 && (
        <div class="banner" role="alert">
          {waiting.length === 1 ? '1 agent is' : `${waiting.length} agents are`} waiting for you:{' '}
          {waiting.map((a) => a.name).join(', ')}
        </div>
      )}
      {agents.length === 0 ? (
        <p class="empty">
          No agents yet. Start one with <code>bosun agent spawn NAME -- COMMAND</code> or{' '}
          <code>bosun up</code>.
        </p>
      ) : (
        <div class="cards">
          {agents.map((a) => (
            <AgentCard key={a.id} agent={a} task={currentTask(a, tasks)} />
          ))}
        </div>
      )}
    </section>
  );
}
