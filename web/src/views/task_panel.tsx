// One task, opened from the board or the review list: its details, the review (merge state,
// Approve & merge, Reject with a reason, Rebase; keys a and r), the changes on its branch (the
// diff view, loaded lazily), reports with their proof and check, comments and history — with
// agents' names, not ids.
import { lazy, Suspense } from 'preact/compat';
import { useEffect, useState } from 'preact/hooks';
import { ago, ApiError, get, post, type Task, type TaskDiff } from '../api';
import { nameOf, useStore } from '../store';
import { askConfirm } from './confirm';
import { typing } from '../keys';
import { TaskForm } from './task_form';

const DiffView = lazy(() => import('./diff_view'));

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
interface Proof {
  what_was_done?: string;
  how_verified?: string;
  verification_result?: string;
}
interface Report {
  id: number;
  author: string;
  status: string;
  verified?: string;
  check_log?: string;
  created_at?: string;
  body?: { summary?: string; status?: string; proof?: Proof; files_changed?: string[]; blocked_reason?: string };
}

export function statusLabel(status: string) {
  return status.replace('_', ' ');
}

const kMergeStates: Record<string, string> = {
  fast_forward: 'merges cleanly (fast-forward)',
  merged: 'merges cleanly',
  already_merged: 'already on the base',
  conflict: 'conflicts with the base',
  outside_domains: 'touches files outside the role’s domains',
};

// What a refused approve or rebase said, with the files it named.
interface Outcome {
  ok: boolean;
  text: string;
  files?: string[];
}

function errorOutcome(e: unknown): Outcome {
  if (!(e instanceof ApiError)) return { ok: false, text: String(e) };
  return { ok: false, text: e.message, files: e.details?.files as string[] | undefined };
}

function ReviewBox({ task, onChanged }: { task: Task; onChanged: () => void }) {
  const [summary, setSummary] = useState<TaskDiff | null>(null);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const inReview = task.status === 'review';

  useEffect(() => {
    if (!task.branch) return;
    let cancelled = false;
    get<TaskDiff>(`/api/v1/tasks/${task.id}/diff?max_bytes=1024`)
      .then((d) => !cancelled && setSummary(d))
      .catch(() => !cancelled && setSummary(null));
    return () => {
      cancelled = true;
    };
  }, [task.id, task.updated_at, task.branch]);

  const approve = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const r = await post<{ merge?: { result: string; commit?: string } }>(`/api/v1/tasks/${task.id}/approve`, {});
      const merge = r.merge;
      setOutcome({
        ok: true,
        text: merge
          ? `Approved: ${task.branch} merged into ${task.base_branch} (${merge.result.replace('_', ' ')}${merge.commit ? ' ' + merge.commit.slice(0, 8) : ''}).`
          : 'Approved: done.',
      });
      onChanged();
    } catch (e) {
      setOutcome(errorOutcome(e));
    } finally {
      setBusy(false);
    }
  };
  const reject = async (e: Event) => {
    e.preventDefault();
    if (!reason.trim()) return;
    setBusy(true);
    setOutcome(null);
    try {
      await post(`/api/v1/tasks/${task.id}/reject`, { reason });
      setOutcome({ ok: true, text: `Sent back to ${task.assignee_name ?? 'its agent'} with your reason.` });
      setRejecting(false);
      setReason('');
      onChanged();
    } catch (err) {
      setOutcome(errorOutcome(err));
    } finally {
      setBusy(false);
    }
  };
  const rebase = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const r = await post<{ result: string }>(`/api/v1/tasks/${task.id}/rebase`, {});
      setOutcome({ ok: true, text: r.result === 'up_to_date' ? 'Already up to date.' : `Rebased onto ${task.base_branch}.` });
      onChanged();
    } catch (err) {
      setOutcome(errorOutcome(err));
    } finally {
      setBusy(false);
    }
  };

  // a: approve (after a confirmation, which Enter accepts); r: reject with a reason.
  useEffect(() => {
    if (!inReview) return;
    const onKey = async (e: KeyboardEvent) => {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey || document.querySelector('.modal')) return;
      if (e.key === 'a') {
        e.preventDefault();
        const into = task.branch ? ` and merge ${task.branch} into ${task.base_branch}` : '';
        if (await askConfirm('Approve?', `Approve “${task.title}”${into}.`, 'Approve & merge')) void approve();
      } else if (e.key === 'r') {
        e.preventDefault();
        setRejecting(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [inReview, task.id, task.updated_at]);

  const merge = summary?.merge;
  const clean = merge && (merge.result === 'fast_forward' || merge.result === 'merged' || merge.result === 'already_merged');
  return (
    <div class="review-box" data-testid="review-box">
      {task.branch && (
        <p class="meta">
          branch <code>{task.branch}</code> → <code>{task.base_branch}</code>
          {summary && (
            <>
              {' '}
              · {summary.ahead} ahead, {summary.behind} behind
            </>
          )}
          {task.merged_commit && (
            <>
              {' '}
              · merged as <code>{task.merged_commit.slice(0, 8)}</code>
            </>
          )}
        </p>
      )}
      {merge && task.status !== 'done' && (
        <p class={`merge-state ${clean ? 'ok' : 'bad'}`} data-testid="merge-state" data-result={merge.result}>
          {kMergeStates[merge.result] ?? merge.result}
          {merge.files.length > 0 && !clean && (
            <>
              : <code>{merge.files.join(', ')}</code>
            </>
          )}
        </p>
      )}
      {inReview && (
        <div class="row">
          <button data-testid="approve" disabled={busy} onClick={approve} title="a">
            {task.branch ? 'Approve & merge' : 'Approve'}
          </button>
          <button class="secondary" data-testid="reject" disabled={busy} onClick={() => setRejecting(!rejecting)} title="r">
            Reject…
          </button>
          {task.branch && (
            <button class="secondary" data-testid="rebase" disabled={busy} onClick={rebase}>
              Rebase
            </button>
          )}
          <span class="muted keys">keys: a approve · r reject · j/k files</span>
        </div>
      )}
      {rejecting && (
        <form class="reject-form" onSubmit={reject}>
          <label>
            Why? (the agent gets this, and works on the same branch)
            <textarea
              name="reason"
              rows={3}
              value={reason}
              ref={(el) => el?.focus()}
              onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
              onKeyDown={(e) => e.key === 'Escape' && setRejecting(false)}
            />
          </label>
          <div class="row">
            <button type="submit" class="danger" disabled={busy || !reason.trim()} data-testid="reject-send">
              Send back
            </button>
            <button type="button" class="secondary" onClick={() => setRejecting(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {outcome && (
        <p class={outcome.ok ? 'outcome ok' : 'outcome error'} data-testid="outcome" role="status">
          {outcome.text}
          {outcome.files && outcome.files.length > 0 && (
            <>
              {' '}
              Files: <code>{outcome.files.join(', ')}</code>
            </>
          )}
          {!outcome.ok && task.branch && ' Rebase the branch, or send it back to the agent.'}
        </p>
      )}
    </div>
  );
}

function historyValue(h: HistoryEntry, v: string | null): string {
  if (v === null || v === '') return '—';
  return h.field === 'assignee' ? nameOf(v) : v;
}

export function TaskPanel({ id, onClose }: { id: string; onClose: () => void }) {
  const s = useStore();
  const task = s.tasks.get(id);
  const [editing, setEditing] = useState(false);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [comments, setComments] = useState<Comment[]>([]);
  const [reports, setReports] = useState<Report[]>([]);
  const [comment, setComment] = useState('');
  const [reloads, setReloads] = useState(0);
  const updated = task?.updated_at;
  // Comments and reports arrive as events about the task.
  const taskEvents = s.events.filter((e) => e.subject === id).length;

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
  }, [id, updated, taskEvents, reloads]);

  if (!task) return <aside class="detail">No task {id}.</aside>;
  // Where the task is on the supervisor's recovery ladder: each step, with whose it was.
  const ladder = history.filter((h) => h.field === 'recovery');
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
        <button class="secondary small" onClick={onClose} aria-label="close">
          ✕
        </button>
      </header>
      {editing ? (
        <TaskForm task={task} onDone={() => setEditing(false)} />
      ) : (
        <>
          <p class="meta">
            <code>{task.id}</code> · <span data-testid="task-status">{statusLabel(task.status)}</span> · P{task.priority}
            {task.role && ` · ${task.role}`}
            {task.assignee_name && ` · @${task.assignee_name}`} · updated {ago(task.updated_at)}
          </p>
          {ladder.length > 0 && (
            <p class="recovery" data-testid="task-recovery" title="the supervisor's recovery steps for this task">
              Recovery:{' '}
              {ladder.map((h, i) => (
                <span key={i} title={h.reason ?? ''}>
                  {i > 0 && ' → '}
                  <strong>{h.to}</strong> ({nameOf(h.from ?? '')})
                </span>
              ))}
            </p>
          )}
          {task.description && <pre class="desc">{task.description}</pre>}
          <div class="row">
            <button class="secondary" onClick={() => setEditing(true)}>
              Edit
            </button>
          </div>
        </>
      )}
      {(task.branch || task.status === 'review') && (
        <>
          <h3>Review</h3>
          <ReviewBox task={task} onChanged={() => setReloads((n) => n + 1)} />
        </>
      )}
      {task.branch && (
        <>
          <h3>Changes</h3>
          <Suspense fallback={<p class="muted">Loading the diff…</p>}>
            <DiffView taskId={task.id} version={`${task.updated_at}:${reloads}`} />
          </Suspense>
        </>
      )}
      <h3>Reports</h3>
      {reports.length === 0 ? (
        <p class="empty">none</p>
      ) : (
        <ul class="reports">
          {reports.map((r) => (
            <li key={r.id}>
              <strong>{r.status ?? r.body?.status}</strong> by {nameOf(r.author)} {r.body?.summary ?? ''}{' '}
              {r.verified && <span class={`badge verified-${r.verified}`}>{r.verified}</span>}
              {r.body?.proof && (
                <dl class="proof">
                  <dt>done</dt>
                  <dd>{r.body.proof.what_was_done}</dd>
                  <dt>verified by</dt>
                  <dd>{r.body.proof.how_verified}</dd>
                  <dt>result</dt>
                  <dd>{r.body.proof.verification_result}</dd>
                </dl>
              )}
              {r.body?.blocked_reason && <p>blocked: {r.body.blocked_reason}</p>}
              {r.check_log && <pre class="log">{r.check_log}</pre>}
            </li>
          ))}
        </ul>
      )}
      <h3>Comments</h3>
      <ul class="comments">
        {comments.map((c) => (
          <li key={c.id}>
            <strong>{nameOf(c.author)}</strong> <span class="when">{ago(c.created_at)}</span>
            <pre>{c.body}</pre>
          </li>
        ))}
      </ul>
      <form class="row" onSubmit={addComment}>
        <input
          class="grow"
          value={comment}
          onInput={(e) => setComment((e.target as HTMLInputElement).value)}
          placeholder="comment…"
        />
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
            <strong>{nameOf(h.actor)}</strong> {h.field}: {historyValue(h, h.from)} → {historyValue(h, h.to)}
            {h.reason && <em> ({h.reason})</em>}
          </li>
        ))}
      </ul>
    </aside>
  );
}
