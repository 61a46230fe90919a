// Events: the live event feed, newest first, each as a sentence with links, filtered by kind
// and by text.
import { useState } from 'preact/hooks';
import { nameOf, useStore } from '../store';
import { sentence } from './sentence';

const kKinds = ['all', 'agent', 'task', 'message', 'report', 'daemon', 'supervisor', 'journal'];

export function Events() {
  const s = useStore();
  const [kind, setKind] = useState('all');
  const [text, setText] = useState('');
  const [paused, setPaused] = useState<number | null>(null);
  const q = text.toLowerCase();
  const shown = s.events
    .filter((e) => paused === null || e.seq <= paused)
    .filter((e) => kind === 'all' || e.type.startsWith(kind + '.'))
    .filter((e) => !q || `${e.type} ${e.subject} ${nameOf(e.subject)} ${JSON.stringify(e.data)}`.toLowerCase().includes(q))
    .slice(-500)
    .reverse();
  return (
    <section class="view events">
      <div class="toolbar">
        <select value={kind} name="kind" onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
          {kKinds.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <input placeholder="filter…" name="filter" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        <button class="secondary" onClick={() => setPaused(paused === null ? s.lastSeq : null)}>
          {paused === null ? 'Pause' : 'Resume'}
        </button>
        <span class="muted">
          latest #{s.lastSeq} · showing {shown.length}
        </span>
      </div>
      <table class="event-list">
        <tbody>
          {shown.map((e) => (
            <tr key={e.seq} data-seq={e.seq} data-type={e.type}>
              <td class="seq">#{e.seq}</td>
              <td class="when" title={e.at}>
                {new Date(e.at).toLocaleTimeString()}
              </td>
              <td class={`type kind-${e.type.split('.')[0]}`}>{e.type}</td>
              <td class="data" title={`${e.subject} ${summarize(e.subject, e.data)}`}>
                {sentence(e)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

// One line of an event's data: its scalar fields (not timestamps, nulls or the subject again),
// and the title or subject of a nested task or message.
function summarize(subject: string, data: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (v === null || v === '' || k.endsWith('_at') || v === subject) continue;
    if (typeof v !== 'object') parts.push(`${k}=${String(v)}`);
    else if (k === 'task' || k === 'message' || k === 'report') {
      const o = v as Record<string, unknown>;
      parts.push(`${k}="${String(o.title ?? o.subject ?? o.status ?? '')}"`);
    }
  }
  const line = parts.join(' ');
  return line.length > 240 ? line.slice(0, 240) + '…' : line;
}
