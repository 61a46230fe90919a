// One live agent terminal: xterm.js fed by the terminal WebSocket in binary mode. Output is
// written once per animation frame; the session remembers the next byte offset it needs and
// resumes from it after a network drop or a daemon restart, so nothing is drawn twice.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { type Agent, get, wsUrl } from './api';

export type TermLink = 'connecting' | 'live' | 'reconnecting' | 'exited';

export interface TermStats {
  frames: number; // binary output frames received
  bytes: number; // output bytes written to the terminal
  writes: number; // term.write() calls (one per animation frame with output)
  duplicates: number; // bytes received again after a reconnect and dropped
  reconnects: number;
  parsedAt: number; // performance.now() when xterm.js had parsed the last write
}

const encoder = new TextEncoder();
// `?batch=0` writes each frame as it arrives: only for measuring what batching saves.
const kBatch = new URLSearchParams(location.search).get('batch') !== '0';

// Every session on the page, for the test harness and the performance notes.
export const sessions = new Set<TerminalSession>();

export class TerminalSession {
  readonly term: Terminal;
  readonly stats: TermStats = { frames: 0, bytes: 0, writes: 0, duplicates: 0, reconnects: 0, parsedAt: 0 };
  link: TermLink = 'connecting';
  onLink: (link: TermLink, detail: string) => void = () => {};

  private fit = new FitAddon();
  private ws: WebSocket | null = null;
  private next = -1; // absolute offset of the next byte we need; -1: not known yet
  private generation = -1;
  private pending: Uint8Array[] = [];
  private flushScheduled = false;
  private retry = 0;
  private disposed = false;
  private observer: ResizeObserver;
  private fitScheduled = false;

  constructor(
    readonly agentId: string,
    readonly agentName: string,
    private readonly host: HTMLElement,
  ) {
    this.term = new Terminal({
      scrollback: 5000,
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 13,
      theme: { background: '#0d1117', foreground: '#d1d7e0' },
    });
    this.term.loadAddon(this.fit);
    this.swallowQueries();
    this.term.open(host);
    this.term.onData((data) => this.send(encoder.encode(data)));
    this.term.onBinary((data) => {
      const bytes = new Uint8Array(data.length);
      for (let i = 0; i < data.length; ++i) bytes[i] = data.charCodeAt(i) & 0xff;
      this.send(bytes);
    });
    this.term.onResize(({ cols, rows }) => this.sendResize(cols, rows));
    this.observer = new ResizeObserver(() => this.scheduleFit());
    this.observer.observe(host);
    sessions.add(this);
    this.scheduleFit();
    void this.connect();
  }

  dispose() {
    this.disposed = true;
    sessions.delete(this);
    this.observer.disconnect();
    this.ws?.close();
    this.term.dispose();
  }

  focus() {
    this.term.focus();
  }

  // The terminal's text (scrollback and screen), for tests.
  text(): string {
    const b = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < b.length; ++i) lines.push(b.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  }

  // The daemon's terminal model answers terminal queries (cursor position, device attributes,
  // mode and setting requests) once; xterm.js must not answer them a second time, and must not
  // answer old ones while replaying the log.
  private swallowQueries() {
    const p = this.term.parser;
    p.registerCsiHandler({ final: 'n' }, () => true);
    p.registerCsiHandler({ prefix: '?', final: 'n' }, () => true);
    p.registerCsiHandler({ final: 'c' }, () => true);
    p.registerCsiHandler({ prefix: '>', final: 'c' }, () => true);
    p.registerCsiHandler({ intermediates: '$', final: 'p' }, () => true);
    p.registerCsiHandler({ prefix: '?', intermediates: '$', final: 'p' }, () => true);
    p.registerDcsHandler({ intermediates: '$', final: 'q' }, () => true);
  }

  private scheduleFit() {
    if (this.fitScheduled || this.disposed) return;
    this.fitScheduled = true;
    requestAnimationFrame(() => {
      this.fitScheduled = false;
      if (this.disposed || this.host.clientWidth === 0 || this.host.clientHeight === 0) return;
      this.fit.fit();
    });
  }

  private sendResize(cols: number, rows: number) {
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: 'resize', cols, rows }));
    }
  }

  private send(bytes: Uint8Array) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  private setLink(link: TermLink, detail = '') {
    this.link = link;
    this.onLink(link, detail);
  }

  private async connect() {
    if (this.disposed) return;
    // A new run of the agent starts a new log at offset 0: start over on a clean screen.
    try {
      const agent = await get<Agent>(`/api/v1/agents/${encodeURIComponent(this.agentId)}`);
      if (this.generation !== -1 && agent.generation !== this.generation) this.restart();
      this.generation = agent.generation;
    } catch {
      return this.reconnectLater();
    }
    if (this.disposed) return;
    const from = this.next >= 0 ? `&from=${this.next}` : '';
    const ws = new WebSocket(
      wsUrl(`/api/v1/agents/${encodeURIComponent(this.agentId)}/terminal?mode=binary${from}`),
    );
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.setLink('live');
      this.sendResize(this.term.cols, this.term.rows);
    };
    ws.onmessage = (m) => {
      if (m.data instanceof ArrayBuffer) this.onOutput(m.data);
      else this.onControl(JSON.parse(String(m.data)));
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.reconnectLater();
    };
  }

  private reconnectLater() {
    if (this.disposed) return;
    if (this.link !== 'exited') this.setLink('reconnecting');
    const delay = Math.min(2000, 100 * 2 ** this.retry++);
    this.stats.reconnects++;
    setTimeout(() => void this.connect(), delay);
  }

  private restart() {
    this.pending = [];
    this.next = -1;
    this.term.reset();
  }

  private onControl(msg: { type: string; [k: string]: unknown }) {
    if (msg.type === 'status') {
      const end = Number(msg.end_offset ?? 0);
      if (this.next > end) {
        // The log is shorter than what we have drawn: this is another run.
        this.restart();
        this.ws?.close();
        return;
      }
      if (msg.state === 'running') this.setLink('live');
      else this.setLink('exited', msg.state === 'exited' ? `exit ${String(msg.exit_code ?? msg.signal ?? '')}` : String(msg.error ?? msg.state));
    } else if (msg.type === 'gap') {
      const lost = Number(msg.to) - Number(msg.from);
      this.queue(encoder.encode(`\r\n\x1b[33m[${lost} bytes of output were lost]\x1b[0m\r\n`));
      this.next = Math.max(this.next, Number(msg.to));
    } else if (msg.type === 'error') {
      console.warn('terminal', this.agentId, msg);
    }
  }

  // A binary frame: 8-byte big-endian offset, then raw bytes.
  private onOutput(buf: ArrayBuffer) {
    if (buf.byteLength < 8) return;
    const offset = Number(new DataView(buf).getBigUint64(0));
    let bytes = new Uint8Array(buf, 8);
    this.stats.frames++;
    if (this.next >= 0 && offset < this.next) {
      const skip = Math.min(bytes.length, this.next - offset);
      this.stats.duplicates += skip;
      bytes = bytes.subarray(skip);
      if (bytes.length === 0) return;
    }
    this.next = Math.max(this.next, offset) + bytes.length;
    this.queue(bytes);
  }

  // Collects output and writes it once per animation frame (or every 100 ms in a hidden tab,
  // where animation frames stop).
  private queue(bytes: Uint8Array) {
    if (!kBatch) return this.write(bytes);
    this.pending.push(bytes);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    if (document.hidden) setTimeout(() => this.flush(), 100);
    else requestAnimationFrame(() => this.flush());
  }

  private flush() {
    this.flushScheduled = false;
    if (this.disposed || this.pending.length === 0) return;
    let data: Uint8Array;
    if (this.pending.length === 1) {
      data = this.pending[0];
    } else {
      let n = 0;
      for (const p of this.pending) n += p.length;
      data = new Uint8Array(n);
      n = 0;
      for (const p of this.pending) {
        data.set(p, n);
        n += p.length;
      }
    }
    this.pending = [];
    this.write(data);
  }

  private write(data: Uint8Array) {
    this.stats.writes++;
    this.stats.bytes += data.length;
    this.term.write(data, () => (this.stats.parsedAt = performance.now()));
  }
}
// The browser tests read terminals' text and counters through this.
(window as unknown as { __bosunTerminals: Set<TerminalSession> }).__bosunTerminals = sessions;
