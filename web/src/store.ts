// The dashboard's state: agents, tasks and recent events, loaded over REST and kept current by
// one events WebSocket that resumes from the last sequence number it saw.
import { useEffect, useState } from 'preact/hooks';
import { type Agent, type BosunEvent, type ContextGauge, type Task, get, listTasks, wsUrl } from './api';

const kMaxEvents = 2000;

export type Link = 'connecting' | 'live' | 'reconnecting';

class Store {
  agents = new Map<string, Agent>();
  tasks = new Map<string, Task>();
  events: BosunEvent[] = [];
  lastSeq = 0;
  link: Link = 'connecting';
  // Several daemons share the store: each agent has a host, and the Hosts view lists them.
  shared = false;
  // Bumped on every message.* event so the mailbox knows to reload.
  mailVersion = 0;
  // Last non-blank line of each agent's screen.
  lastLines = new Map<string, string>();

  private listeners = new Set<() => void>();
  private eventListeners = new Set<(e: BosunEvent) => void>();
  private socket: WebSocket | null = null;
  private retry = 0;
  private stopped = false;
  private agentsReload: number | undefined;
  private notifyQueued = false;

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onEvent(fn: (e: BosunEvent) => void): () => void {
    this.eventListeners.add(fn);
    return () => this.eventListeners.delete(fn);
  }

  // Coalesces notifications into one per microtask, so a burst of events renders once.
  notify() {
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      for (const fn of this.listeners) fn();
    });
  }

  // Loads everything, then follows the event stream from where the load started.
  async start() {
    this.stopped = false;
    const status = await get<{ latest_seq: number }>('/api/v1/status');
    this.shared = (await get<{ shared: boolean }>('/api/v1/hosts')).shared;
    await this.reload();
    const recent = await get<{ events: BosunEvent[] }>(
      `/api/v1/events?since=${Math.max(0, status.latest_seq - 200)}&limit=200`,
    );
    this.events = recent.events;
    this.lastSeq = status.latest_seq;
    this.notify();
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.socket?.close();
  }

  async reload() {
    const [agents, tasks] = await Promise.all([
      get<{ agents: Agent[] }>('/api/v1/agents'),
      listTasks(),
    ]);
    this.agents = new Map(agents.agents.map((a) => [a.id, a]));
    this.tasks = new Map(tasks.map((t) => [t.id, t]));
    this.notify();
  }

  agentByName(name: string | null | undefined): Agent | undefined {
    if (!name) return undefined;
    for (const a of this.agents.values()) if (a.name === name || a.id === name) return a;
    return undefined;
  }

  private connect() {
    if (this.stopped) return;
    const ws = new WebSocket(wsUrl(`/api/v1/events?since=${this.lastSeq}`));
    this.socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.retry = 0;
    };
    ws.onmessage = (m) => {
      const frame = JSON.parse(String(m.data)) as BosunEvent | { type: 'hello'; seq: number };
      if (frame.type === 'hello') {
        const wasDown = this.link === 'reconnecting';
        this.link = 'live';
        this.notify();
        // After an outage (perhaps a daemon restart) state may have moved on without events
        // we can see; a fresh load is cheap and settles it.
        if (wasDown) this.reload().catch(() => {});
        return;
      }
      this.apply(frame as BosunEvent);
    };
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.socket = null;
      if (this.stopped) return;
      this.link = 'reconnecting';
      this.notify();
      const delay = Math.min(2000, 100 * 2 ** this.retry++);
      // A socket that never opened may mean the login expired: ask the API, which tells.
      if (!opened) get('/api/v1/status').catch(() => {});
      setTimeout(() => this.connect(), delay);
    };
  }

  private apply(e: BosunEvent) {
    if (e.seq <= this.lastSeq) return;
    this.lastSeq = e.seq;
    this.events.push(e);
    if (this.events.length > kMaxEvents) this.events.splice(0, this.events.length - kMaxEvents);
    const data = e.data as Record<string, unknown>;
    if (e.type === 'task.created' || e.type === 'task.updated') {
      const t = data.task as Task | undefined;
      if (t) this.tasks.set(t.id, t);
    } else if (e.type === 'task.deleted') {
      this.tasks.delete(String(data.id ?? e.subject));
    } else if (e.type.startsWith('agent.')) {
      const a = this.agents.get(e.subject);
      if (e.type === 'agent.state' && a) {
        this.agents.set(a.id, {
          ...a,
          state: String(data.state),
          state_source: String(data.source ?? ''),
          state_since: e.at,
        });
      }
      if (e.type === 'agent.context' && a) {
        this.agents.set(a.id, { ...a, context: data as unknown as ContextGauge });
      }
      if (e.type === 'agent.removed') this.agents.delete(e.subject);
      this.reloadAgentsSoon();
    } else if (e.type.startsWith('message.')) {
      this.mailVersion++;
    }
    for (const fn of this.eventListeners) fn(e);
    this.notify();
  }

  // Agent events carry only part of the agent; the list is refetched, at most every 200 ms.
  private reloadAgentsSoon() {
    if (this.agentsReload !== undefined) return;
    this.agentsReload = window.setTimeout(async () => {
      this.agentsReload = undefined;
      try {
        const r = await get<{ agents: Agent[] }>('/api/v1/agents');
        this.agents = new Map(r.agents.map((a) => [a.id, a]));
        this.notify();
      } catch {
        // The next event or reconnect tries again.
      }
    }, 200);
  }
}

export const store = new Store();

// Re-renders the calling component whenever the store changes.
export function useStore(): Store {
  const [, setTick] = useState(0);
  useEffect(() => store.subscribe(() => setTick((t) => t + 1)), []);
  return store;
}

// States in which an agent waits for a person.
export function isWaiting(a: Agent): boolean {
  return a.state === 'waiting_input' || a.state === 'waiting' || a.state === 'question';
}

export function waitingAgents(): Agent[] {
  return [...store.agents.values()].filter(isWaiting);
}

// What waits for a person: tasks in review and agents waiting for input. `key` names the
// moment (a task's review, an agent's wait since when), so a new wait is a new key.
export interface NeedsYou {
  key: string;
  kind: 'review' | 'agent';
  title: string;
  href: string;
  task?: Task;
  agent?: Agent;
}

export function needsYou(): NeedsYou[] {
  const out: NeedsYou[] = [];
  for (const t of store.tasks.values()) {
    if (t.status !== 'review') continue;
    out.push({ key: `task:${t.id}:${t.updated_at}`, kind: 'review', title: t.title, href: `#/review/${t.id}`, task: t });
  }
  for (const a of waitingAgents()) {
    out.push({ key: `agent:${a.id}:${a.state_since}`, kind: 'agent', title: a.name, href: `#/terminals/${a.name}`, agent: a });
  }
  return out;
}

// An agent's name for its id ("user", "supervisor" and unknown ids as they are).
export function nameOf(who: string | null | undefined): string {
  if (!who) return '';
  return store.agents.get(who)?.name ?? who;
}
