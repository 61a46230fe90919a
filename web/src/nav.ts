// Hash routes: "#/terminals/kai,ana" is the terminals view showing kai and ana.
export type View = 'crew' | 'review' | 'terminals' | 'board' | 'mail' | 'projects' | 'hosts' | 'events';

export const kViews: { id: View; label: string }[] = [
  { id: 'crew', label: 'Crew' },
  { id: 'review', label: 'Review' },
  { id: 'terminals', label: 'Terminals' },
  { id: 'board', label: 'Board' },
  { id: 'mail', label: 'Mailbox' },
  { id: 'projects', label: 'Projects' },
  { id: 'hosts', label: 'Hosts' }, // only on a store several daemons share
  { id: 'events', label: 'Events' },
];

export function parseHash(): { view: View; arg: string } {
  const [, view = 'crew', ...rest] = location.hash.replace(/^#/, '').split('/');
  const known = kViews.some((v) => v.id === view);
  return { view: known ? (view as View) : 'crew', arg: decodeURIComponent(rest.join('/')) };
}

export function navigate(view: View, arg = '') {
  location.hash = `#/${view}${arg ? '/' + encodeURIComponent(arg) : ''}`;
}
