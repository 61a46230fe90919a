// Terminals: live agent terminals side by side. xterm.js is loaded on first use, so the
// initial page stays small; panels stay mounted (hidden) while other views are shown.
import { useEffect, useRef, useState } from 'preact/hooks';
import { post } from '../api';
import { store, useStore } from '../store';
import { navigate } from '../nav';
import type { TermLink, TerminalSession } from '../terminal';
import { StateBadge } from './badge';

function TermPanel({ agentId, onClose }: { agentId: string; onClose: () => void }) {
  const host = useRef<HTMLDivElement>(null);
  const session = useRef<TerminalSession | null>(null);
  const [link, setLink] = useState<{ state: TermLink; detail: string }>({ state: 'connecting', detail: '' });
  const agent = store.agents.get(agentId);

  useEffect(() => {
    let disposed = false;
    import('../terminal').then(({ TerminalSession }) => {
      if (disposed || !host.current) return;
      const s = new TerminalSession(agentId, store.agents.get(agentId)?.name ?? agentId, host.current);
      s.onLink = (state, detail) => setLink({ state, detail });
      session.current = s;
      s.focus();
    });
    return () => {
      disposed = true;
      session.current?.dispose();
      session.current = null;
    };
  }, [agentId]);

  return (
    <div class="term-panel" data-agent={agent?.name ?? agentId}>
      <header>
        <strong>{agent?.name ?? agentId}</strong>
        {agent && <StateBadge agent={agent} />}
        <span class={`link link-${link.state === 'live' ? 'live' : 'reconnecting'}`} data-testid="term-link">
          {link.state === 'live' ? 'live' : link.state === 'exited' ? link.detail || 'exited' : link.state + '…'}
        </span>
        <span class="grow" />
        <button class="secondary small" title="Ctrl-C to the foreground program" onClick={() => post(`/api/v1/agents/${agentId}/interrupt`).catch(() => {})}>
          interrupt
        </button>
        <button class="secondary small" title="close this terminal" onClick={onClose}>
          ✕
        </button>
      </header>
      <div class="term-host" ref={host} onClick={() => session.current?.focus()} />
    </div>
  );
}

export function Terminals({ visible, arg }: { visible: boolean; arg: string | null }) {
  const s = useStore();
  const [open, setOpen] = useState<string[]>([]);

  // "#/terminals/kai,ana" opens those agents' terminals (names or ids).
  useEffect(() => {
    if (!arg) return;
    const ids = arg
      .split(',')
      .map((n) => store.agentByName(n.trim())?.id)
      .filter((id): id is string => !!id);
    if (ids.length) setOpen((cur) => [...cur, ...ids.filter((id) => !cur.includes(id))]);
  }, [arg, s.agents.size]);

  const closed = [...s.agents.values()].filter((a) => !open.includes(a.id));
  const close = (id: string) => {
    setOpen((cur) => cur.filter((x) => x !== id));
    if (arg) navigate('terminals');
  };
  return (
    <section class="view terminals" style={{ display: visible ? undefined : 'none' }}>
      <div class="toolbar">
        <label>
          Open a terminal:{' '}
          <select
            value=""
            onChange={(e) => {
              const id = (e.target as HTMLSelectElement).value;
              if (id) setOpen((cur) => [...cur, id]);
            }}
          >
            <option value="">agent…</option>
            {closed.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} ({a.state})
              </option>
            ))}
          </select>
        </label>
      </div>
      {open.length === 0 ? (
        <p class="empty">Pick an agent to see its terminal; several can be open side by side.</p>
      ) : (
        <div class={`term-grid n${Math.min(open.length, 4)}`}>
          {open.map((id) => (
            <TermPanel key={id} agentId={id} onClose={() => close(id)} />
          ))}
        </div>
      )}
    </section>
  );
}
