// Board: tasks in columns by status, kept live by task events; create a task, or open one to
// edit it and read its history, comments and reports.
import { useEffect, useState } from 'preact/hooks';
import { ago, ApiError, get, patch, post, type Task } from '../api';
import { store, useStore } from '../store';
import { navigate } from '../nav';

const kColumns = ['backlog', 'pending', 'assigned', 'in_progress', 'review', 'blocked', 'done', 'failed', 'cancelled'];
// Moves a person may ask for from each status (docs/api.md); `done` comes from approve.
const kMoves: Record<string, string[]> = {
  backlog: ['pending', 'cancelled'],
  pending: ['backlog', 'blocked', 'cancelled'],
  assigned: ['pending', 'in_progress', 'review', 'blocked', 'failed', 'cancelled'],
  in_progress: ['pending', 'review', 'blocked', 'failed', 'cancelled'],
  review: ['in_progress', 'blocked', 'failed', 'cancelled'],
  blocked: ['pending', 'assigned', 'in_progress', 'failed', 'cancelled'],
  failed: ['backlog', 'pending', 'cancelled'],
  cancelled: ['backlog', 'pending'],
  done: [],
};
const kPriority = ['P0 urgent', 'P1 high', 'P2 normal', 'P3 low', 'P4'];

function label(status: string) {
  return status.replace('_', ' ');
}

function TaskCard({ task }: { task: Task }) {
  const s = store;
  return (
    <a class={`task-card p${task.priority}`} href={`#/board/${task.id}`} data-task={task.id}>
      <div class="title">{task.title}</div>
      <div class="meta">
        <span class={`prio p${task.priority}`}>P{task.priority}</span>
        {task.role && <span class="role">{task.role}</span>}
        {task.assignee_name && <span class="assignee">@{task.assignee_name}</span>}
        <span class="id">{task.id}</span>
      </div>
      {task.depends_on.length > 0 && (
        <div class="deps">
          after{' '}
          {task.depends_on.map((d) => (
            <span key={d} class={`dep ${s.tasks.get(d)?.status === 'done' ? 'met' : ''}`} title={s.tasks.get(d)?.title}>
              {d}
            </span>
          ))}
        </div>
      )}
    </a>
  );
}

interface HistoryEntry {
  at: string;
  actor: string;
  field: string;
  from: string | null;
  to: string | null;
  reason: string;
}
interface Comment {
  id: number;
  author: string;
  body: string;
  created_at: string;
}
interface Report {
  id: number;
  status: string;
  summary?: string;
  verified?: string;
  check_log?: string;
  created_at?: string;
  body?: { summary?: string; status?: string };
  [k: string]: unknown;
}

function TaskForm({ task, onDone }: { task?: Task; onDone: (t?: Task) => void }) {
  const agents = [...store.agents.values()];
  const [f, setF] = useState({
    title: task?.title ?? '',
    description: task?.description ?? '',
    role: task?.role ?? '',
    priority: task?.priority ?? 2,
    assignee: task?.assignee_name ?? '',
    status: task?.status ?? 'pending',
    depends_on: task?.depends_on.join(' ') ?? '',
    reason: '',
  });
  const [error, setError] = useState('');
  const set = (k: keyof typeof f) => (e: Event) =>
    setF({ ...f, [k]: k === 'priority' ? Number((e.target as HTMLInputElement).value) : (e.target as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setError('');
    const deps = f.depends_on.split(/[\s,]+/).filter(Boolean);
    try {
      if (!task) {
        const body: Record<string, unknown> = { title: f.title, priority: f.priority };
        if (f.description) body.description = f.description;
        if (f.role) body.role = f.role;
        if (f.assignee) body.assignee = f.assignee;
        if (deps.length) body.depends_on = deps;
        if (f.status === 'backlog') body.status = 'backlog';
        onDone(await post<Task>('/api/v1/tasks', body));
      } else {
        const body: Record<string, unknown> = {};
        if (f.title !== task.title) body.title = f.title;
        if (f.description !== task.description) body.description = f.description;
        if (f.role !== task.role) body.role = f.role;
        if (f.priority !== task.priority) body.priority = f.priority;
        if (f.assignee !== (task.assignee_name ?? '')) body.assignee = f.assignee || null;
        if (f.status !== task.status) body.status = f.status;
        if (deps.join(' ') !== task.depends_on.join(' ')) body.depends_on = deps;
        if (f.reason) body.reason = f.reason;
        onDone(Object.keys(body).length ? await patch<Task>(`/api/v1/tasks/${task.id}`, body) : task);
      }
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  const statuses = task ? [task.status, ...kMoves[task.status]] : ['pending', 'backlog'];
  return (
    <form class="task-form" onSubmit={submit}>
      <label>
        Title <input name="title" value={f.title} onInput={set('title')} required maxLength={200} />
      </label>
      <label>
        Description <textarea name="description" rows={4} value={f.description} onInput={set('description')} />
      </label>
      <div class="row">
        <label>
          Status
          <select name="status" value={f.status} onChange={set('status')}>
            {statuses.map((st) => (
              <option key={st} value={st}>
                {label(st)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Priority
          <select name="priority" value={f.priority} onChange={set('priority')}>
            {kPriority.map((p, i) => (
              <option key={i} value={i}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Role <input name="role" value={f.role} onInput={set('role')} placeholder="any" />
        </label>
        <label>
          Assignee
          <select name="assignee" value={f.assignee} onChange={set('assignee')}>
            <option value="">nobody</option>
            {agents.map((a) => (
              <option key={a.id} value={a.name}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label>
        Depends on <input name="depends_on" value={f.depends_on} onInput={set('depends_on')} placeholder="t_… t_…" />
      </label>
      {task && (
        <label>
          Reason (goes into history) <input name="reason" value={f.reason} onInput={set('reason')} />
        </label>
      )}
      {error && <p class="error">{error}</p>}
      <div class="row">
        <button type="submit">{task ? 'Save' : 'Create task'}</button>
        <button type="button" class="secondary" onClick={() => onDone()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function TaskDetail({ id }: { id: string }) {
  const s = useStore();
  const task = s.tasks.get(id);
  const [editing, setEditing] = useState(false);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [comments, setComments] = useState<Comment[]>([]);
  const [reports, setReports] = useState<Report[]>([]);
  const [comment, setComment] = useState('');
  const updated = task?.updated_at;
  const version = s.events.length ? s.lastSeq : 0;

  useEffect(() => {
    let cancelled = false;
    Promise.all([
      get<{ history: HistoryEntry[] }>(`/api/v1/tasks/${id}/history`),
      get<{ comments: Comment[] }>(`/api/v1/tasks/${id}/comments`),
      get<{ reports: Report[] }>(`/api/v1/tasks/${id}/reports`),
    ])
      .then(([h, c, r]) => {
        if (cancelled) return;
        setHistory(h.history ?? []);
        setComments(c.comments ?? []);
        setReports(r.reports ?? []);
      })
      .catch(() => {});
    return () => {
      cancelled = true;
    };
    // Reload when the task changes or a comment/report event arrives.
  }, [id, updated, version]);

  if (!task) return <aside class="detail">No task {id}.</aside>;
  const addComment = async (e: Event) => {
    e.preventDefault();
    if (!comment.trim()) return;
    await post(`/api/v1/tasks/${id}/comments`, { body: comment });
    setComment('');
  };
  return (
    <aside class="detail" data-detail={task.id}>
      <header>
        <h2>{task.title}</h2>
        <button class="secondary small" onClick={() => navigate('board')}>
          ✕
        </button>
      </header>
      {editing ? (
        <TaskForm task={task} onDone={() => setEditing(false)} />
      ) : (
        <>
          <p class="meta">
            <code>{task.id}</code> · {label(task.status)} · P{task.priority}
            {task.role && ` · ${task.role}`}
            {task.assignee_name && ` · @${task.assignee_name}`} · updated {ago(task.updated_at)}
          </p>
          {task.description && <pre class="desc">{task.description}</pre>}
          <div class="row">
            <button onClick={() => setEditing(true)}>Edit</button>
            {task.status === 'review' && (
              <button onClick={() => post(`/api/v1/tasks/${id}/approve`, {}).catch(() => {})}>Approve</button>
            )}
          </div>
        </>
      )}
      <h3>Reports</h3>
      {reports.length === 0 ? (
        <p class="empty">none</p>
      ) : (
        <ul class="reports">
          {reports.map((r) => (
            <li key={r.id}>
              <strong>{r.status ?? r.body?.status}</strong> {r.summary ?? r.body?.summary ?? ''}{' '}
              {r.verified && <span class={`badge verified-${r.verified}`}>{r.verified}</span>}
              {r.check_log && <pre class="log">{r.check_log}</pre>}
            </li>
          ))}
        </ul>
      )}
      <h3>Comments</h3>
      <ul class="comments">
        {comments.map((c) => (
          <li key={c.id}>
            <strong>{c.author}</strong> <span class="when">{ago(c.created_at)}</span>
            <pre>{c.body}</pre>
          </li>
        ))}
      </ul>
      <form class="row" onSubmit={addComment}>
        <input value={comment} onInput={(e) => setComment((e.target as HTMLInputElement).value)} placeholder="comment…" />
        <button type="submit" class="secondary">
          Add
        </button>
      </form>
      <h3>History</h3>
      <ul class="history">
        {history.map((h, i) => (
          <li key={i}>
            <span class="when" title={h.at}>
              {ago(h.at)}
            </span>{' '}
            <strong>{h.actor}</strong> {h.field}: {h.from ?? '—'} → {h.to ?? '—'}
            {h.reason && <em> ({h.reason})</em>}
          </li>
        ))}
      </ul>
    </aside>
  );
}

export function Board({ openTask }: { openTask: string }) {
  const s = useStore();
  const [creating, setCreating] = useState(false);
  const [filter, setFilter] = useState('');
  const q = filter.toLowerCase();
  const tasks = [...s.tasks.values()]
    .filter((t) => !q || `${t.id} ${t.title} ${t.role} ${t.assignee_name ?? ''}`.toLowerCase().includes(q))
    .sort((a, b) => a.priority - b.priority || a.created_at.localeCompare(b.created_at));
  return (
    <section class="view board">
      <div class="toolbar">
        <button onClick={() => setCreating(true)}>New task</button>
        <input placeholder="filter…" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        <span class="muted">{s.tasks.size} tasks</span>
      </div>
      {creating && (
        <div class="modal">
          <div class="card">
            <h2>New task</h2>
            <TaskForm onDone={() => setCreating(false)} />
          </div>
        </div>
      )}
      <div class="board-body">
        <div class="columns">
          {kColumns.map((col) => {
            const items = tasks.filter((t) => t.status === col);
            // Failed and cancelled take room only when they hold something.
            if (items.length === 0 && (col === 'failed' || col === 'cancelled')) return null;
            return (
              <div class="column" data-column={col} key={col}>
                <h3>
                  {label(col)} <span class="count">{items.length}</span>
                </h3>
                {items.map((t) => (
                  <TaskCard key={t.id} task={t} />
                ))}
              </div>
            );
          })}
        </div>
        {openTask && <TaskDetail id={openTask} />}
      </div>
    </section>
  );
}
