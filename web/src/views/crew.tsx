// Crew: one card per agent — state, role, profile, current task, branch and the last line of
// its screen. Agents waiting for a person come first and stand out.
import { useEffect } from 'preact/hooks';
import { ago, type Agent, get, type Screen, type Task } from '../api';
import { isWaiting, store, useStore } from '../store';
import { navigate } from '../nav';
import { StateBadge } from './badge';

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

// The last non-blank line at or above the cursor.
function lastLine(screen: Screen): string {
  for (let r = Math.min(screen.cursor.row, screen.lines.length - 1); r >= 0; --r) {
    const line = screen.lines[r].trimEnd();
    if (line.trim()) return line;
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
        const line = lastLine(await get<Screen>(`/api/v1/agents/${id}/screen`));
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
  const branch = branchOf(agent);
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
        {branch && (
          <>
            <dt>branch</dt>
            <dd>
              <code>{branch}</code>
            </dd>
          </>
        )}
      </dl>
      <pre class="last-line" title={agent.last_output_at ? `output ${ago(agent.last_output_at)}` : ''}>
        {line || ' '}
      </pre>
      <footer>
        <button onClick={() => navigate('terminals', agent.name)}>Terminal</button>
        <button class="secondary" onClick={() => navigate('mail', agent.name)}>
          Mail
        </button>
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
  return (
    <section class="view crew">
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
