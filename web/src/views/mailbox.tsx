// Mailbox: the messages to and from one mailbox (the user's, the supervisor's or an agent's)
// with their delivery state, a message's body on click, and a form to send one.
import { useEffect, useState } from 'preact/hooks';
import { ago, ApiError, get, type Message, post } from '../api';
import { useStore } from '../store';
import { navigate } from '../nav';

function Compose({ to, onSent }: { to: string; onSent: () => void }) {
  const s = useStore();
  const [f, setF] = useState({ to: to === 'user' ? '' : to, subject: '', body: '', urgent: false });
  const [status, setStatus] = useState('');
  useEffect(() => setF((cur) => ({ ...cur, to: to === 'user' ? cur.to : to })), [to]);
  const submit = async (e: Event) => {
    e.preventDefault();
    setStatus('');
    try {
      const body: Record<string, unknown> = { to: f.to, subject: f.subject };
      if (f.body) body.body = f.body;
      if (f.urgent) body.urgent = true;
      const m = await post<Message>('/api/v1/messages', body);
      setStatus(`sent ${m.id} (${m.state})`);
      setF({ ...f, subject: '', body: '' });
      onSent();
    } catch (err) {
      setStatus(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <form class="compose card" onSubmit={submit}>
      <h3>Send a message</h3>
      <div class="row">
        <label>
          To
          <select name="to" value={f.to} onChange={(e) => setF({ ...f, to: (e.target as HTMLSelectElement).value })} required>
            <option value="">pick…</option>
            <option value="supervisor">supervisor</option>
            {[...s.agents.values()].map((a) => (
              <option key={a.id} value={a.name}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          Subject
          <input name="subject" value={f.subject} maxLength={200} required onInput={(e) => setF({ ...f, subject: (e.target as HTMLInputElement).value })} />
        </label>
        <label class="inline">
          <input type="checkbox" checked={f.urgent} onChange={(e) => setF({ ...f, urgent: (e.target as HTMLInputElement).checked })} /> urgent
        </label>
      </div>
      <label>
        Body (optional; the agent is told how to read it)
        <textarea name="body" rows={3} value={f.body} onInput={(e) => setF({ ...f, body: (e.target as HTMLTextAreaElement).value })} />
      </label>
      <div class="row">
        <button type="submit">Send</button>
        {status && <span class="muted" data-testid="send-status">{status}</span>}
      </div>
    </form>
  );
}

export function Mailbox({ mailbox }: { mailbox: string }) {
  const s = useStore();
  const box = mailbox || 'user';
  const [messages, setMessages] = useState<Message[]>([]);
  const [open, setOpen] = useState<Message | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let cancelled = false;
    const q = encodeURIComponent(box);
    Promise.all([
      get<{ messages: Message[] }>(`/api/v1/messages?to=${q}&limit=1000`),
      get<{ messages: Message[] }>(`/api/v1/messages?from=${q}&limit=1000`),
    ])
      .then(([to, from]) => {
        if (cancelled) return;
        const all = new Map<string, Message>();
        for (const m of [...to.messages, ...from.messages]) all.set(m.id, m);
        setMessages([...all.values()].sort((a, b) => b.created_at.localeCompare(a.created_at)));
      })
      .catch(() => {});
    return () => {
      cancelled = true;
    };
  }, [box, s.mailVersion, reload]);

  const show = async (m: Message) => {
    const full = await get<Message>(`/api/v1/messages/${m.id}`);
    setOpen(full);
    if (m.to === 'user' && !m.read) await post(`/api/v1/messages/${m.id}/read`).catch(() => {});
  };
  const boxes = ['user', 'supervisor', ...[...s.agents.values()].map((a) => a.name)];
  return (
    <section class="view mailbox">
      <nav class="boxes">
        {boxes.map((b) => (
          <a key={b} href={`#/mail/${b}`} class={b === box ? 'active' : ''} data-box={b}>
            {b === 'user' ? 'you (user)' : b}
          </a>
        ))}
      </nav>
      <div class="mail-main">
        <Compose to={box} onSent={() => setReload((r) => r + 1)} />
        <table class="messages">
          <thead>
            <tr>
              <th>when</th>
              <th>from</th>
              <th>to</th>
              <th>type</th>
              <th>subject</th>
              <th>state</th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => (
              <tr key={m.id} data-message={m.id} class={m.to === box && !m.read ? 'unread' : ''} onClick={() => show(m)}>
                <td title={m.created_at}>{ago(m.created_at)}</td>
                <td>{m.from}</td>
                <td>{m.to}</td>
                <td>{m.type}</td>
                <td>
                  {m.urgent && <span class="badge state-errored">urgent</span>} {m.subject}
                </td>
                <td>
                  <span class={`badge msg-${m.state}`} title={m.error ?? (m.attempts ? `${m.attempts} attempt(s)` : '')}>
                    {m.state}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {messages.length === 0 && <p class="empty">No messages for {box}.</p>}
      </div>
      {open && (
        <aside class="detail">
          <header>
            <h2>{open.subject}</h2>
            <button class="secondary small" onClick={() => setOpen(null)}>
              ✕
            </button>
          </header>
          <p class="meta">
            <code>{open.id}</code> · {open.from} → {open.to} · {open.type} · {open.state} · {ago(open.created_at)}
            {open.task_id && (
              <>
                {' '}
                · <a onClick={() => navigate('board', open.task_id!)}>{open.task_id}</a>
              </>
            )}
          </p>
          {open.error && <p class="error">{open.error}</p>}
          <pre class="desc">{open.body || '(no body)'}</pre>
        </aside>
      )}
    </section>
  );
}
