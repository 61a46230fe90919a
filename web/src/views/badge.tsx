// The agent state badge, with where the state came from and since when on hover.
import { ago, type Agent } from '../api';
import { isWaiting } from '../store';

const kLabels: Record<string, string> = {
  waiting_input: 'waiting for you',
  waiting: 'waiting for you',
  question: 'waiting for you',
  rate_limited: 'rate-limited',
  errored: 'errored',
};

export function stateLabel(state: string): string {
  return kLabels[state] ?? state.replace(/_/g, ' ');
}

export function StateBadge({ agent }: { agent: Agent }) {
  const since = agent.state_since ? new Date(agent.state_since) : null;
  const title =
    `${stateLabel(agent.state)} — source: ${agent.state_source || 'unknown'}` +
    (since ? `, since ${since.toLocaleString()} (${ago(agent.state_since)})` : '');
  const cls = isWaiting(agent) ? 'waiting' : agent.state;
  return (
    <span class={`badge state-${cls}`} title={title} data-state={agent.state}>
      {stateLabel(agent.state)}
    </span>
  );
}
