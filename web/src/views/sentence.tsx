// An event as a sentence with links: "kai moved “Add login” from in progress to review",
// "merged bosun-task/kai/t_3 into main". Names, not ids; unknown kinds fall back to their fields.
import type { ComponentChildren } from 'preact';
import type { BosunEvent, Task } from '../api';
import { nameOf, store } from '../store';

type D = Record<string, unknown>;

function str(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

function agentLink(id: string, name?: unknown) {
  const n = str(name) || nameOf(id);
  return (
    <a href={`#/terminals/${encodeURIComponent(n)}`} class="who">
      {n}
    </a>
  );
}

function who(actor: unknown) {
  const a = str(actor);
  if (!a) return <span class="who">someone</span>;
  if (a === 'user') return <span class="who">you</span>;
  if (store.agents.has(a)) return agentLink(a);
  return <span class="who">{a}</span>;
}

function taskLink(id: string, title?: unknown) {
  const t = str(title) || store.tasks.get(id)?.title || id;
  return <a href={`#/board/${encodeURIComponent(id)}`}>“{t}”</a>;
}

function status(s: unknown) {
  return str(s).replace('_', ' ');
}

function fields(subject: string, data: D): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (v === null || v === '' || k.endsWith('_at') || v === subject || typeof v === 'object') continue;
    parts.push(`${k}=${String(v)}`);
  }
  const line = parts.join(' ');
  return line.length > 200 ? line.slice(0, 200) + '…' : line;
}

export function sentence(e: BosunEvent): ComponentChildren {
  const d = e.data as D;
  const s = e.subject;
  const task = d.task as (Task & { id: string }) | undefined;
  switch (e.type) {
    case 'agent.created':
      return <>{agentLink(s, d.name)} was started</>;
    case 'agent.state':
      return (
        <>
          {agentLink(s, d.name)} is {status(d.state) === 'waiting input' ? 'waiting for you' : status(d.state)}
          {d.source ? <span class="muted"> ({str(d.source)})</span> : null}
        </>
      );
    case 'agent.exited':
      return (
        <>
          {agentLink(s, d.name)} exited{d.exit_code !== null && d.exit_code !== undefined ? ` with code ${str(d.exit_code)}` : ''}
          {d.signal ? ` on signal ${str(d.signal)}` : ''}
          {d.error ? `: ${str(d.error)}` : ''}
        </>
      );
    case 'agent.lost':
      return <>{agentLink(s, d.name)} was lost: {str(d.reason)}</>;
    case 'agent.removed':
      return <>{str(d.name) || nameOf(s)} was removed</>;
    case 'agent.stuck':
      return <>{agentLink(s, d.name)} looks stuck: {str(d.message)}</>;
    case 'agent.restarting':
      return <>{agentLink(s, d.name)} restarts ({str(d.reason)})</>;
    case 'agent.dialog_answered':
      return (
        <>
          bosun answered {agentLink(s, d.name)}'s <strong>{str(d.dialog)}</strong> dialog
        </>
      );
    case 'task.created':
      return (
        <>
          {who(d.by)} created {taskLink(s, task?.title)}
        </>
      );
    case 'task.updated': {
      const changes = (Array.isArray(d.changes) ? d.changes : []) as { field?: string }[];
      if (d.to)
        return (
          <>
            {who(d.by)} moved {taskLink(s, task?.title)} from {status(d.from) || 'nothing'} to <strong>{status(d.to)}</strong>
            {d.reason ? <span class="muted"> — {str(d.reason)}</span> : null}
          </>
        );
      const keys = [...new Set(changes.map((c) => str(c.field)).filter(Boolean))];
      return (
        <>
          {who(d.by)} changed {keys.length ? keys.join(', ') + ' of ' : ''}
          {taskLink(s, task?.title)}
        </>
      );
    }
    case 'task.deleted':
      return <>task {s} was deleted</>;
    case 'task.comment': {
      const c = (d.comment ?? {}) as D;
      return (
        <>
          {who(c.author)} commented on {taskLink(s)}: <span class="muted">{str(c.body).slice(0, 120)}</span>
        </>
      );
    }
    case 'task.branch':
      return (
        <>
          {agentLink(str(d.agent), d.agent)} started <code>{str(d.branch)}</code> for {taskLink(s)}
        </>
      );
    case 'task.merged':
      return (
        <>
          {taskLink(s)}: <code>{str(d.branch)}</code> merged into <code>{str(d.base)}</code>
        </>
      );
    case 'task.merge_refused':
      return (
        <>
          merging {taskLink(s)} was refused: {str(d.result ?? d.reason)}
        </>
      );
    case 'task.recovery':
      return (
        <>
          recovery of {taskLink(s)} from {str(d.agent)}: <strong>{str(d.step)}</strong>
          <span class="muted"> — {str(d.reason)}</span>
        </>
      );
    case 'report.submitted': {
      const r = (d.report ?? {}) as D;
      return (
        <>
          {who(d.by)} reported {taskLink(s)} {str(r.status)}
        </>
      );
    }
    case 'report.checked':
      return (
        <>
          bosun checked the report on {taskLink(s)}: <strong class={`verified-${str(d.verified)}`}>{str(d.verified)}</strong>
        </>
      );
    case 'message.created':
    case 'message.delivered':
    case 'message.bounced':
    case 'message.read': {
      const verb = e.type.split('.')[1];
      return (
        <>
          {verb === 'created' ? 'message' : `message ${verb}`} from {who(d.from)} to {who(d.to)}:{' '}
          <a href={`#/mail/${encodeURIComponent(str(d.to))}`}>{str(d.subject)}</a>
        </>
      );
    }
    case 'worktree.created':
      return (
        <>
          worktree <code>{str(d.branch)}</code> created
        </>
      );
    case 'worktree.merged':
      return (
        <>
          <code>{str(d.branch)}</code> merged into <code>{str(d.base ?? d.into)}</code>
        </>
      );
    case 'notify.edge':
      return (
        <>
          needs you: <a href={str(d.link) || '#/events'}>{str(d.title)}</a>
        </>
      );
    case 'notify.sent':
      return (
        <>
          told <span class="who">{str(d.channel)}</span>: {str(d.title)}
        </>
      );
    case 'notify.failed':
      return (
        <>
          could not tell <span class="who">{str(d.channel)}</span> “{str(d.title)}”: {str(d.error)}
        </>
      );
    case 'daemon.started':
      return <>the daemon started</>;
    case 'daemon.stopped':
      return <>the daemon stopped</>;
    default:
      return <code class="muted">{fields(s, d)}</code>;
  }
}
