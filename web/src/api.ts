// The daemon's REST API as the dashboard uses it: same-origin fetches that carry the login
// cookie, the API's error shape as ApiError, and the JSON shapes the views read.

export class ApiError extends Error {
  constructor(
    readonly status: number, // 0: the daemon could not be reached
    readonly code: string,
    message: string,
    // The error object's other fields (a refused merge's `files`, …).
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface Run {
  state?: string;
  argv?: string[];
  exit_code?: number | null;
  [key: string]: unknown;
}

// A daemon sharing the store (GET /api/v1/hosts).
export interface Host {
  name: string;
  state: 'up' | 'lost';
  epoch: number;
  address: string;
  pid: number;
  version: string;
  schema_version: number;
  joined_at: string;
  renewed_at: string;
  lease_left_ms: number;
  expired: boolean;
  lost_at: string | null;
  load: number;
  this: boolean;
  agents: { count: number; states: Record<string, number>; names: string[] };
}

export interface Hosts {
  shared: boolean;
  host: string | null;
  hosts: Host[];
}

export interface Agent {
  id: string;
  name: string;
  role: string;
  profile: string;
  state: string;
  state_source: string;
  state_since: string;
  generation: number;
  argv?: string[];
  cwd?: string;
  pid?: number | null;
  end_offset?: number;
  last_output_at?: string | null;
  run?: Run | null;
  // How full its context window is (none until a hook, a stream or its screen said).
  context?: ContextGauge | null;
  // Worktree fields, present once agents have worktrees.
  branch?: string | null;
  worktree?: string | { branch?: string; path?: string } | null;
  // On a store several hosts share: the host it runs on, and whether another daemon runs it.
  host?: string;
  remote?: boolean;
}

export interface ContextGauge {
  percent: number;
  tokens: number | null;
  window: number | null;
  source: string;
  at: string;
}

export interface Task {
  id: string;
  title: string;
  description: string;
  role: string;
  assignee: string | null;
  assignee_name: string | null;
  status: string;
  priority: number;
  parent_id: string | null;
  depends_on: string[];
  ready: boolean;
  created_at: string;
  updated_at: string;
  project_id?: string | null;
  // A task an agent took in a worktree has a branch of its own.
  branch?: string | null;
  base_branch?: string | null;
  merged_commit?: string | null;
}

export interface DiffFile {
  path: string;
  status: string;
  added: number;
  removed: number;
  binary: boolean;
}

// GET /api/v1/tasks/{id}/diff: the task's branch against its base.
export interface TaskDiff {
  task: string;
  branch: string;
  base: string;
  ahead: number;
  behind: number;
  commits: { id: string; author: string; at: string; subject: string }[];
  files: DiffFile[];
  stats: { files: number; added: number; removed: number };
  patch: string;
  truncated: boolean;
  // What a merge would do now: fast_forward | merged | already_merged | conflict | outside_domains.
  merge: { result: string; files: string[]; detail?: string };
  checked_out_at: string | null;
  merged_commit?: string;
}

export interface Profile {
  name: string;
  description?: string;
  interactive?: string[];
  headless?: boolean;
  takes_tasks?: boolean;
  error: string | null;
}

export interface Role {
  name: string;
  description?: string;
  profile?: string | null;
  error: string | null;
}

export interface Project {
  id: string;
  name: string;
  path: string;
  base_branch: string;
  execution_mode: string;
}

export interface Worktree {
  id: string;
  agent_id: string | null;
  agent?: string | null;
  project_id: string;
  path: string;
  branch: string;
  state: string;
  size_bytes?: number | null;
  agent_state?: string | null;
  agent_running?: boolean;
  status?: {
    exists: boolean;
    ahead: number;
    behind: number;
    dirty: boolean;
    dirty_files: string[];
    unmerged_commits: number;
    clean: boolean;
  } | null;
}

export interface UsageRow {
  agent?: string | null;
  task_id?: string | null;
  day?: string | null;
  runs: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
}

export interface Message {
  id: string;
  from: string;
  to: string;
  type: string;
  subject: string;
  body?: string;
  body_bytes: number;
  task_id: string | null;
  urgent: boolean;
  state: string;
  attempts: number;
  error: string | null;
  created_at: string;
  delivered_at: string | null;
  read: boolean;
}

export interface BosunEvent {
  seq: number;
  type: string;
  at: string;
  subject: string;
  data: Record<string, unknown>;
}

export interface Screen {
  cols: number;
  rows: number;
  lines: string[];
  cursor: { row: number; col: number };
}

// Called when the daemon answers 401: the view switches to the login form.
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void) {
  onUnauthorized = handler;
}

// One API call. Resolves with the parsed JSON body; rejects with ApiError.
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'unreachable', `the daemon cannot be reached (${String(e)})`);
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const err = (json as { error?: { code?: string; message?: string } & Record<string, unknown> } | null)?.error;
    if (response.status === 401 && path !== '/api/v1/login') onUnauthorized();
    throw new ApiError(response.status, err?.code ?? 'http_' + response.status, err?.message ?? text, err ?? {});
  }
  return json as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

// Every task, following `next_after` pages.
export async function listTasks(): Promise<Task[]> {
  const out: Task[] = [];
  let after = '';
  for (;;) {
    const page = await get<{ tasks: Task[]; next_after?: string }>(
      `/api/v1/tasks?limit=1000${after ? '&after=' + encodeURIComponent(after) : ''}`,
    );
    out.push(...page.tasks);
    if (!page.next_after) return out;
    after = page.next_after;
  }
}

// ws:// or wss:// URL for a path on this daemon (the browser sends our own Origin).
export function wsUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

// Human-readable "3m ago".
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
  return `${Math.floor(s / 86400)}d ago`;
}
