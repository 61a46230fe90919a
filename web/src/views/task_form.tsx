// The form that creates a task or edits one: title, description, status (only the moves the
// daemon allows), priority, role, assignee and dependencies.
import { useState } from 'preact/hooks';
import { ApiError, patch, post, type Task } from '../api';
import { store } from '../store';

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

export function TaskForm({ task, onDone }: { task?: Task; onDone: (t?: Task) => void }) {
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
