// Projects: each project with its agents' worktrees (state, size, unmerged work) and the safe
// cleanup; and usage — tokens and cost of headless runs per agent, task or day, with a chart.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, del, get, post, type Project, type UsageRow, type Worktree } from '../api';
import { useStore } from '../store';
import { askConfirm } from './confirm';

function size(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

function work(w: Worktree): string {
  const st = w.status;
  if (!st) return w.state;
  if (!st.exists) return 'missing on disk';
  const parts: string[] = [];
  if (st.unmerged_commits) parts.push(`${st.unmerged_commits} unmerged commit${st.unmerged_commits === 1 ? '' : 's'}`);
  if (st.dirty) parts.push(`${st.dirty_files.length} uncommitted file${st.dirty_files.length === 1 ? '' : 's'}`);
  if (st.behind) parts.push(`${st.behind} behind`);
  return parts.length ? parts.join(', ') : 'clean';
}

function Worktrees({ project, version }: { project: Project; version: number }) {
  const [rows, setRows] = useState<Worktree[] | null>(null);
  const [note, setNote] = useState('');
  const [reload, setReload] = useState(0);
  useEffect(() => {
    get<{ worktrees: Worktree[] }>(`/api/v1/projects/${project.id}/worktrees`)
      .then((r) => setRows(r.worktrees))
      .catch((e) => setNote(e instanceof ApiError ? e.message : String(e)));
  }, [project.id, version, reload]);
  const prune = async () => {
    if (!(await askConfirm('Clean up worktrees?', 'Removes the worktrees of agents that are gone and whose work is merged; nothing unmerged or uncommitted is touched.', 'Clean up')))
      return;
    try {
      const r = await post<{ removed: unknown[]; kept: { why?: string }[] }>('/api/v1/worktrees/prune', {});
      setNote(`Removed ${r.removed.length}, kept ${r.kept.length}${r.kept.length ? ` (${[...new Set(r.kept.map((k) => k.why ?? ''))].filter(Boolean).join('; ')})` : ''}.`);
    } catch (e) {
      setNote(e instanceof ApiError ? e.message : String(e));
    }
    setReload((n) => n + 1);
  };
  const remove = async (w: Worktree) => {
    if (!(await askConfirm(`Remove ${w.branch}'s worktree?`, `${w.path} is deleted; bosun refuses while its agent runs or work is unsaved.`, 'Remove'))) return;
    try {
      await del(`/api/v1/worktrees/${w.id}`);
      setNote(`Removed ${w.path}.`);
    } catch (e) {
      setNote(e instanceof ApiError ? e.message : String(e));
    }
    setReload((n) => n + 1);
  };
  return (
    <>
      <div class="toolbar">
        <button class="secondary small" onClick={prune} data-testid="prune">
          Clean up merged worktrees
        </button>
        {note && <span class="muted" role="status">{note}</span>}
      </div>
      {rows === null ? (
        <p class="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p class="empty">No worktrees.</p>
      ) : (
        <div class="scroll-x">
          <table class="worktrees">
            <thead>
              <tr>
                <th>agent</th>
                <th>branch</th>
                <th>agent state</th>
                <th>size</th>
                <th>work</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((w) => (
                <tr key={w.id} data-worktree={w.agent ?? w.id}>
                  <td>{w.agent ?? '—'}</td>
                  <td>
                    <code>{w.branch}</code>
                  </td>
                  <td>{w.agent_state ?? (w.agent_running ? 'running' : '—')}</td>
                  <td>{size(w.size_bytes)}</td>
                  <td title={w.path}>{work(w)}</td>
                  <td>
                    <button class="secondary small" onClick={() => remove(w)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

type By = 'agent' | 'task' | 'day';

function Usage({ version }: { version: number }) {
  const s = useStore();
  const [by, setBy] = useState<By>('day');
  const [data, setData] = useState<{ rows: UsageRow[]; total: UsageRow } | null>(null);
  useEffect(() => {
    get<{ rows: UsageRow[]; total: UsageRow }>(`/api/v1/usage?by=${by}`)
      .then(setData)
      .catch(() => setData(null));
  }, [by, version]);
  const rows = data?.rows ?? [];
  const keyOf = (r: UsageRow) => {
    if (by === 'task') return r.task_id ? (s.tasks.get(r.task_id)?.title ?? r.task_id) : '(no task)';
    return (by === 'agent' ? r.agent : r.day) ?? '—';
  };
  const tokens = (r: UsageRow) => r.input_tokens + r.output_tokens + r.cache_read_tokens + r.cache_write_tokens;
  // The chart shows cost when any run cost something, else tokens.
  const byCost = rows.some((r) => r.cost_usd > 0);
  const value = (r: UsageRow) => (byCost ? r.cost_usd : tokens(r));
  const max = Math.max(1e-9, ...rows.map(value));
  return (
    <section class="card usage" data-testid="usage">
      <div class="toolbar">
        <h2>Usage</h2>
        {(['day', 'agent', 'task'] as By[]).map((b) => (
          <button key={b} class={b === by ? 'small' : 'secondary small'} onClick={() => setBy(b)}>
            per {b}
          </button>
        ))}
        {data && (
          <span class="muted">
            {data.total.runs} runs · {tokens(data.total).toLocaleString()} tokens · ${data.total.cost_usd.toFixed(2)}
          </span>
        )}
      </div>
      {rows.length === 0 ? (
        <p class="empty">No finished headless runs yet: usage is counted from them.</p>
      ) : (
        <div class="usage-chart" role="img" aria-label={`${byCost ? 'cost' : 'tokens'} per ${by}`}>
          {rows.map((r, i) => (
            <div class="bar-row" key={i}>
              <span class="bar-label" title={keyOf(r)}>
                {keyOf(r)}
              </span>
              <span class="bar">
                <span class="fill" style={{ width: `${(100 * value(r)) / max}%` }} />
              </span>
              <span class="bar-value">
                {byCost ? `$${r.cost_usd.toFixed(2)}` : tokens(r).toLocaleString()} · {r.runs} run{r.runs === 1 ? '' : 's'}
              </span>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}

export function Projects() {
  const s = useStore();
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState('');
  // Worktree and run events move these tables.
  const version = s.events.filter((e) => e.type.startsWith('worktree.') || e.type === 'headless.finished' || e.type.startsWith('project.')).length;
  useEffect(() => {
    get<{ projects: Project[] }>('/api/v1/projects')
      .then((r) => setProjects(r.projects))
      .catch((e) => setError(e instanceof ApiError ? e.message : String(e)));
  }, [version]);
  return (
    <section class="view projects">
      {error && <p class="error">{error}</p>}
      {projects?.length === 0 && (
        <p class="empty">
          No projects yet: <code>bosun project add PATH</code> adds a git repository.
        </p>
      )}
      {projects?.map((p) => (
        <section class="card project" key={p.id} data-project={p.name}>
          <h2>
            {p.name} <span class="muted">{p.execution_mode} mode · base {p.base_branch}</span>
          </h2>
          <p class="muted">
            <code>{p.path}</code>
          </p>
          <Worktrees project={p} version={version} />
        </section>
      ))}
      <Usage version={version} />
    </section>
  );
}
