// Agent controls on the crew view: spawning an agent (from a role or a profile, in a project
// and its own worktree), and per agent interrupt, restart (resuming its session or fresh), stop
// and remove — the destructive ones after a confirmation.
import { useEffect, useState } from 'preact/hooks';
import { type Agent, ApiError, del, get, post, type Profile, type Project, type Role } from '../api';
import { askConfirm } from './confirm';

const kEnded = new Set(['exited', 'lost']);

// A command line as an argv vector: words split on blanks, '…' and "…" group words, \ escapes
// the next character. Only ever passed as argv, never to a shell.
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < line.length; ++i) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) out.push(word);
  return out;
}

export function AgentActions({ agent }: { agent: Agent }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const running = !kEnded.has(agent.state);
  const act = async (what: () => Promise<unknown>) => {
    setBusy(true);
    setError('');
    try {
      await what();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const base = `/api/v1/agents/${encodeURIComponent(agent.id)}`;
  const close = (e: Event) => (e.currentTarget as HTMLElement).closest('details')?.removeAttribute('open');
  return (
    <>
      <details class="menu" data-testid="agent-menu">
        <summary class="button secondary" aria-label={`actions for ${agent.name}`}>
          ⋯
        </summary>
        <div class="menu-items" onClick={close}>
          <button class="secondary" disabled={busy || !running} onClick={() => act(() => post(`${base}/interrupt`))}>
            Interrupt (Ctrl-C)
          </button>
          <button class="secondary" disabled={busy} onClick={() => act(() => post(`${base}/restart`, {}))}>
            {running ? 'Restart (resume its session)' : 'Start again (resume its session)'}
          </button>
          <button
            class="secondary"
            disabled={busy}
            onClick={async () => {
              if (await askConfirm(`Restart ${agent.name} fresh?`, 'It starts a new session: what its CLI remembers of this one is not carried over.', 'Restart fresh'))
                await act(() => post(`${base}/restart`, { fresh: true }));
            }}
          >
            Restart fresh
          </button>
          <button
            class="secondary"
            data-testid="agent-stop"
            disabled={busy || !running}
            onClick={async () => {
              if (await askConfirm(`Stop ${agent.name}?`, 'Its whole process tree gets SIGHUP and SIGTERM, then SIGKILL after 3 s. Its log, worktree and tasks stay.', 'Stop'))
                await act(() => post(`${base}/stop`, {}));
            }}
          >
            Stop
          </button>
          <button
            class="danger"
            data-testid="agent-remove"
            disabled={busy}
            onClick={async () => {
              if (await askConfirm(`Remove ${agent.name}?`, 'It is stopped if running and forgotten; its logs stay on disk, its worktree stays until cleaned up.', 'Remove'))
                await act(() => del(base));
            }}
          >
            Remove
          </button>
        </div>
      </details>
      {error && <p class="error" role="alert">{error}</p>}
    </>
  );
}

export function SpawnDialog({ onDone }: { onDone: () => void }) {
  const [profiles, setProfiles] = useState<Profile[]>([]);
  const [roles, setRoles] = useState<Role[]>([]);
  const [projects, setProjects] = useState<Project[]>([]);
  const [f, setF] = useState({ name: '', role: '', profile: '', project: '', worktree: true, command: '', permanent: false });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<{ profiles: Profile[] }>('/api/v1/profiles').then((r) => setProfiles(r.profiles.filter((p) => !p.error))).catch(() => {});
    get<{ projects: Project[] }>('/api/v1/projects').then((r) => setProjects(r.projects ?? [])).catch(() => {});
  }, []);
  useEffect(() => {
    const q = f.project ? `?project=${encodeURIComponent(f.project)}` : '';
    get<{ roles: Role[] }>(`/api/v1/roles${q}`).then((r) => setRoles(r.roles.filter((x) => !x.error))).catch(() => setRoles([]));
  }, [f.project]);

  const set = (k: keyof typeof f) => (e: Event) => {
    const t = e.target as HTMLInputElement;
    setF({ ...f, [k]: t.type === 'checkbox' ? t.checked : t.value });
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setError('');
    const body: Record<string, unknown> = { name: f.name.trim() };
    if (f.role) body.role = f.role;
    if (f.profile) body.profile = f.profile;
    if (f.project) {
      body.project = f.project;
      body.worktree = f.worktree;
    }
    if (f.permanent) body.permanent = true;
    const argv = splitArgs(f.command);
    if (argv.length) body.argv = argv;
    setBusy(true);
    try {
      await post('/api/v1/agents', body);
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const role = roles.find((r) => r.name === f.role);
  return (
    <div class="modal" role="dialog" aria-modal="true">
      <div class="card">
        <h2>Spawn an agent</h2>
        <form class="task-form" onSubmit={submit} data-testid="spawn-form">
          <label>
            Name (a–z, 0–9, - and _)
            <input name="name" value={f.name} onInput={set('name')} required pattern="[a-z0-9_-]{1,32}" autoFocus />
          </label>
          <div class="row">
            <label>
              Project
              <select name="project" value={f.project} onChange={set('project')}>
                <option value="">none (the state directory's folder)</option>
                {projects.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
            {f.project && (
              <label class="inline">
                <input type="checkbox" name="worktree" checked={f.worktree} onChange={set('worktree')} /> its own worktree
              </label>
            )}
          </div>
          <div class="row">
            <label>
              Role
              <select name="role" value={f.role} onChange={set('role')}>
                <option value="">none</option>
                {roles.map((r) => (
                  <option key={r.name} value={r.name} title={r.description}>
                    {r.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Profile
              <select name="profile" value={f.profile} onChange={set('profile')}>
                <option value="">{role?.profile ? `the role's (${role.profile})` : 'default (shell)'}</option>
                {profiles.map((p) => (
                  <option key={p.name} value={p.name} title={p.description}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
            <label class="inline">
              <input type="checkbox" name="permanent" checked={f.permanent} onChange={set('permanent')} /> permanent (restarted when it exits)
            </label>
          </div>
          <label>
            Command (optional: instead of the profile's; words, not a shell line)
            <input name="command" value={f.command} onInput={set('command')} placeholder="claude --model sonnet" />
          </label>
          {error && <p class="error">{error}</p>}
          <div class="row">
            <button type="submit" disabled={busy}>
              Spawn
            </button>
            <button type="button" class="secondary" onClick={onDone}>
              Cancel
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
