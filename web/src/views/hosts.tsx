// Hosts: the daemons sharing the crew's store, each with its lease, version, load and agents —
// read again every two seconds (a lease counts down) and at once on a host event.
import { useEffect, useState } from 'preact/hooks';
import { type Host, type Hosts as HostList, get } from '../api';
import { store } from '../store';

const kRefreshMs = 2000;

function lease(h: Host): string {
  if (h.state === 'lost') return `unreachable since ${new Date(h.renewed_at).toLocaleTimeString()}`;
  if (h.expired) return 'lease ran out';
  return `${(h.lease_left_ms / 1000).toFixed(1)} s left`;
}

function agents(h: Host): string {
  if (h.agents.count === 0) return 'none';
  const states = Object.entries(h.agents.states)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  return `${h.agents.count} (${states})`;
}

export function Hosts() {
  const [list, setList] = useState<HostList | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    const load = async () => {
      try {
        const next = await get<HostList>('/api/v1/hosts');
        if (!live) return;
        setList(next);
        setError('');
      } catch (e) {
        if (live) setError(String(e));
      }
    };
    void load();
    const timer = window.setInterval(load, kRefreshMs);
    const off = store.onEvent((e) => {
      if (e.type.startsWith('host.')) void load(); // agents' states: the next read, in 2 s
    });
    return () => {
      live = false;
      window.clearInterval(timer);
      off();
    };
  }, []);

  if (!list) return <section class="view hosts">{error ? <p class="error">{error}</p> : <p class="muted">Loading…</p>}</section>;
  if (!list.shared) {
    return (
      <section class="view hosts">
        <p class="muted">This daemon's store is its own: one host. Several daemons share one on PostgreSQL (docs/scale.md).</p>
      </section>
    );
  }
  return (
    <section class="view hosts">
      {error && <p class="error">{error}</p>}
      <table class="host-list">
        <thead>
          <tr>
            <th>host</th>
            <th>state</th>
            <th>lease</th>
            <th>agents</th>
            <th>load</th>
            <th>version</th>
            <th>address</th>
            <th>joined</th>
          </tr>
        </thead>
        <tbody>
          {list.hosts.map((h) => (
            <tr key={h.name} data-host={h.name} data-state={h.state} class={h.this ? 'this-host' : ''}>
              <td class="name">
                {h.name}
                {h.this && <span class="muted"> (this daemon)</span>}
              </td>
              <td>
                <span class={`badge state-${h.state === 'up' ? 'idle' : 'lost'}`} data-testid="host-state">
                  {h.state}
                </span>
              </td>
              <td data-testid="host-lease">{lease(h)}</td>
              <td data-testid="host-agents" title={h.agents.names.join(', ')}>
                {agents(h)}
              </td>
              <td>{h.load.toFixed(2)}</td>
              <td title={`schema ${h.schema_version}, epoch ${h.epoch}`}>{h.version}</td>
              <td>{h.address}</td>
              <td title={h.joined_at}>{new Date(h.joined_at).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
