import { plural } from '../plural.js';
import { elapsed } from './format.js';

/**
 * What `contrail worker` says when a signal stops it. The SDK drains the worker: it takes no new
 * work, gives the activities under way a grace time to finish, then cancels them (Temporal
 * retries each on another worker); a second signal ends the process at once.
 */

/** `computeMetrics ×2, planDay`: the activities under way, by type. */
function activitiesNamed(types: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const type of types) counts.set(type, (counts.get(type) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => (n === 1 ? type : `${type} ×${n}`))
    .join(', ');
}

const activities = (n: number) => plural(n, 'activity', 'activities');

/** What a worker does once a signal stops it: the SDK's drain, said for the activities under way. */
export function stoppingLine(signal: NodeJS.Signals, underWay: readonly string[], graceMs: number): string {
  if (underWay.length === 0) return `stopping (${signal}): no new work is taken and none is under way`;
  return `stopping (${signal}): no new work is taken; ${activities(underWay.length)} under way (${activitiesNamed(underWay)}) ${underWay.length === 1 ? 'gets' : 'get'} ${elapsed(graceMs)} to finish, then ${underWay.length === 1 ? 'is' : 'are'} cancelled and retried by Temporal on another worker; ${signal} again stops at once`;
}

/** A second signal: the process ends now, and what was under way is left to Temporal's timeouts. */
export function abandonedLine(signal: NodeJS.Signals, underWay: readonly string[]): string {
  return `stopped at once (${signal} again)${
    underWay.length === 0
      ? ''
      : `: ${activities(underWay.length)} under way (${activitiesNamed(underWay)}) left unfinished; Temporal retries ${underWay.length === 1 ? 'it' : 'them'} once ${underWay.length === 1 ? 'its' : 'their'} heartbeat timeout passes`
  }`;
}

/** The worker's last line: how it was stopped and how the activities under way then ended. */
export function stoppedLine(
  signal: NodeJS.Signals | null,
  sinceStop: { finished: number; cancelled: number },
): string {
  const ended = [
    sinceStop.finished > 0 ? `${activities(sinceStop.finished)} finished` : '',
    sinceStop.cancelled > 0
      ? `${activities(sinceStop.cancelled)} cancelled (Temporal retries ${sinceStop.cancelled === 1 ? 'it' : 'them'} on another worker)`
      : '',
  ].filter(Boolean);
  return `contrail worker stopped${signal === null ? '' : ` (${signal})`}${ended.length > 0 ? `: ${ended.join(', ')}` : ''}.`;
}
