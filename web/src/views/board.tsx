// Board: tasks in columns by status, kept live by task events; create a task, or open one
// (the task panel) to review, edit and follow it.
import { useState } from 'preact/hooks';
import { type Task } from '../api';
import { store, useStore } from '../store';
import { navigate } from '../nav';
import { TaskForm } from './task_form';
import { TaskPanel } from './task_panel';

const kColumns = ['backlog', 'pending', 'assigned', 'in_progress', 'review', 'blocked', 'done', 'failed', 'cancelled'];
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
        {task.branch && task.status === 'review' && <span class="branch-tag">branch</span>}
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
        {openTask && <TaskPanel id={openTask} onClose={() => navigate('board')} />}
      </div>
    </section>
  );
}
