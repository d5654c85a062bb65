import type { Progress } from '../workflows/common.js';

/** What a followed run's progress reads as, in a line of a log or beside a progress bar. */

/** The time left is estimated once the stage has been followed this long and work finished in it. */
const ESTIMATE_AFTER_MS = 30_000;
/** Running units named in a progress line; the others are counted. */
const RUNNING_NAMED = 3;

/**
 * The time a stage has left, from the rate at which its units finished while followed (not
 * from the workflow's start: a run followed again after hours would look faster than it is).
 */
export class StageEstimate {
  private start: { stage: string; done: number; at: number } | null = null;
  /** When a unit last finished, and the time left estimated then (null: none yet). */
  private lastFinish: { done: number; at: number; left: number | null } | null = null;

  /**
   * Milliseconds left in `p`'s stage at `at`, or null while the rate says too little, and
   * once the time estimated when a unit last finished has passed with nothing finishing since:
   * the units still running are slower than the finished ones (the last experiment of a daily
   * run being rerun over every date), and a rate that shrinks only with the waiting would say
   * "under a minute left" for as long as they run.
   */
  left(p: Pick<Progress, 'stage' | 'done' | 'total'>, at: number): number | null {
    if (this.start === null || this.start.stage !== p.stage || p.done < this.start.done) {
      this.start = { stage: p.stage, done: p.done, at };
      this.lastFinish = null;
      return null;
    }
    const finished = p.done - this.start.done;
    const elapsed = at - this.start.at;
    const left =
      finished <= 0 || elapsed < ESTIMATE_AFTER_MS || p.done >= p.total
        ? null
        : ((p.total - p.done) * elapsed) / finished;
    // The first estimate after a unit finished is the one the wait is held to.
    if (this.lastFinish === null || this.lastFinish.done !== p.done || this.lastFinish.left === null) {
      this.lastFinish = { done: p.done, at, left };
      return left;
    }
    return at - this.lastFinish.at > this.lastFinish.left ? null : left;
  }
}

/** `about 12 min left`, rounded as a person would say it. */
export function timeLeft(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 1) return 'under a minute left';
  if (minutes < 90) return `about ${Math.round(minutes)} min left`;
  return `about ${(minutes / 60).toFixed(1)} h left`;
}

/** The first few running units by name, the others counted: `exp-a, exp-b, exp-c and 4 more`. */
export function namedRunning(current: readonly string[]): string {
  const more = current.length - RUNNING_NAMED;
  return `${current.slice(0, RUNNING_NAMED).join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/**
 * One line of progress: the stage, its counts (failures included, as they happen), what runs
 * now and, once it can be told, the time left: `analysing (79/168, 2 failed) running:
 * exp-a 2026-03-15, exp-b 2026-03-15 and 4 more; about 9 min left`.
 */
export function progressLine(p: Progress, left: number | null): string {
  const counts =
    p.total === 0 && p.done === 0 ? '' : ` (${p.done}/${p.total}${p.failed ? `, ${p.failed} failed` : ''})`;
  const running = p.current.length === 0 ? '' : ` running: ${namedRunning(p.current)}`;
  const eta = left === null ? '' : `; ${timeLeft(left)}`;
  return `${p.stage}${counts}${running}${eta}`;
}

/**
 * What the run's items wait for, said since they would otherwise look stuck: `waiting for a
 * worker of contrail 0.1.0+v1: slug-a 2026-03-01, slug-b`, one clause per build, and `slug-c
 * 2026-03-01: waiting for analysis/slug-c/2026-03-01, started by daily/2026-03-01, to end
 * before starting its own`, one per run of another parent that holds an item's id. While that
 * run itself waits for a worker of its build, the clause says so (`…, started by
 * daily/2026-03-01, which waits for a worker of contrail 0.1.0+v1, to end…`): nothing moves
 * until such a worker runs, however long this parent waits.
 */
export function waitingLine(progress: Pick<Progress, 'waiting' | 'behind'>): string {
  const byVersion = new Map<string, string[]>();
  for (const w of progress.waiting ?? []) {
    const version = w.toolVersion ?? 'the current version';
    byVersion.set(version, [...(byVersion.get(version) ?? []), w.date ? `${w.slug} ${w.date}` : w.slug]);
  }
  return [
    ...[...byVersion].map(
      ([version, runs]) => `waiting for a worker of contrail ${version}: ${runs.join(', ')}`,
    ),
    ...(progress.behind ?? []).map(
      (b) =>
        `${b.label}: waiting for ${b.workflowId}, started by ${b.startedBy}${
          b.waitsForWorker
            ? `, which waits for a worker of contrail ${b.waitsForWorker.toolVersion ?? 'the current version'}`
            : ''
        }, to end before starting its own`,
    ),
  ].join('; ');
}
