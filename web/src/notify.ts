// Browser notifications when something starts needing a person. Permission is asked once, from
// a click (browsers ignore a request no gesture made); the answer is the browser's to keep.
import type { BosunEvent } from './api';
import type { NeedsYou } from './store';

const kAsked = 'bosun.notifications.asked';

export type NotifyState = 'unsupported' | 'default' | 'granted' | 'denied';

export function notifyState(): NotifyState {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.permission as NotifyState;
}

// Whether to offer the button: supported, undecided, and not asked before.
export function shouldOffer(): boolean {
  return notifyState() === 'default' && localStorage.getItem(kAsked) === null;
}

export async function askPermission(): Promise<NotifyState> {
  localStorage.setItem(kAsked, '1');
  if (notifyState() === 'unsupported') return 'unsupported';
  return (await Notification.requestPermission()) as NotifyState;
}

// Follows the needs-you list: every item not seen before gets one notification. The first
// call only records what already waits (it did not just start).
export class Announcer {
  private seen: Set<string> | null = null;

  update(items: NeedsYou[]) {
    const keys = new Set(items.map((i) => i.key));
    const before = this.seen;
    this.seen = keys;
    if (!before || notifyState() !== 'granted') return;
    for (const item of items) {
      if (before.has(item.key)) continue;
      const body =
        item.kind === 'review' ? `Task in review: ${item.title}` : `${item.title} is waiting for you`;
      const n = new Notification('bosun: needs you', { body, tag: item.key });
      n.onclick = () => {
        window.focus();
        location.hash = item.href;
        n.close();
      };
    }
  }

  // The daemon's other edges (notify.edge events): an agent stuck or exited, a usage limit
  // and its end, a run or the board finished. Reviews and questions come from the list above.
  edge(e: BosunEvent) {
    const kind = String(e.data.kind ?? '');
    if (notifyState() !== 'granted' || kind === 'review' || kind === 'waiting_input') return;
    const n = new Notification(`bosun: ${String(e.data.title ?? kind)}`, {
      body: String(e.data.body ?? ''),
      tag: e.subject,
    });
    n.onclick = () => {
      window.focus();
      location.hash = String(e.data.link || '#/events');
      n.close();
    };
  }
}
