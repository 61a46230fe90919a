// Review: everything waiting for a person in one list — tasks in review (open one to read its
// diff and approve, reject or rebase it) and agents waiting for an answer (open their terminal).
import { ago } from '../api';
import { needsYou, useStore } from '../store';
import { navigate } from '../nav';
import { StateBadge } from './badge';
import { TaskPanel } from './task_panel';

export function Review({ openTask }: { openTask: string }) {
  useStore();
  const items = needsYou();
  const tasks = items.filter((i) => i.kind === 'review');
  const agents = items.filter((i) => i.kind === 'agent');
  return (
    <section class="view review">
      <div class={`review-body${openTask ? ' open' : ''}`}>
        <div class="review-list">
          {items.length === 0 && <p class="empty">Nothing waits for you. Tasks in review and agents that ask a question show up here.</p>}
          {tasks.length > 0 && <h3>Tasks in review ({tasks.length})</h3>}
          {tasks.map(({ task }) => (
            <a
              key={task!.id}
              class={`need-item${openTask === task!.id ? ' active' : ''}`}
              href={`#/review/${task!.id}`}
              data-review-task={task!.id}
            >
              <div class="title">{task!.title}</div>
              <div class="meta">
                {task!.assignee_name && <span class="assignee">@{task!.assignee_name}</span>}
                {task!.branch && <code>{task!.branch}</code>}
                <span class="when">{ago(task!.updated_at)}</span>
              </div>
            </a>
          ))}
          {agents.length > 0 && <h3>Agents waiting for you ({agents.length})</h3>}
          {agents.map(({ agent }) => (
            <a key={agent!.id} class="need-item" href={`#/terminals/${agent!.name}`} data-review-agent={agent!.name}>
              <div class="title">
                {agent!.name} <StateBadge agent={agent!} />
              </div>
              <div class="meta">
                <span>{agent!.role || 'no role'}</span>
                <span class="when">since {ago(agent!.state_since)}</span>
              </div>
            </a>
          ))}
        </div>
        {openTask && <TaskPanel id={openTask} onClose={() => navigate('review')} />}
      </div>
    </section>
  );
}
