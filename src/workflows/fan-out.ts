import type { BusyRun, RunOutcome, RunStart, StartedRun, WaitingRun } from '../activities/types.js';
import type { BehindRun, Progress } from './common.js';

/** Stands for the result type of a run's workflow in the type of its start; never a value. */
declare const returns: unique symbol;

/** A run to start whose workflow returns `R`: the parent reads `R` from its outcome. */
export type Start<R> = RunStart & { readonly [returns]?: R };

/** A run to start, or an outcome already decided (a pin that could not be resolved). */
export type RunItem<R = unknown> =
  | { label: string; start: Start<R> }
  | { label: string; outcome: RunOutcome<R> };

/** A run's outcome when it failed. */
export type Failed<R = unknown> = Extract<RunOutcome<R>, { status: 'failed' }>;

export interface FanOutOptions<R = unknown> {
  concurrency: number;
  /** Counting on from a run continued as new. */
  counts?: { done: number; failed: number };
  /**
   * The failure after which no further run is started (every later one would fail alike), when
   * an outcome is one: a failed run's own, or the one a completed run's result says it stopped
   * on (a rerun the daily run started); null to go on. The runs already started still end as
   * they end; the items not started yet are in `notStarted`.
   */
  stopOn?: (outcome: RunOutcome<R>) => Failed<R> | null;
}

export interface RunAllResult<R> {
  /** One per item, in the order of the items. */
  outcomes: RunOutcome<R>[];
  /** Every run that waited for a worker of its build at some point (as first seen waiting). */
  waited: WaitingRun[];
  /**
   * The items never started because an outcome met `stopOn`, by index (their outcomes say so,
   * with that outcome's error): empty unless it did. An item whose outcome was decided
   * beforehand keeps that outcome.
   */
  notStarted: number[];
  /** The failure `stopOn` stopped on and its item's index, if it did. */
  stoppedBy: { index: number; failure: Failed<R> } | null;
}

/** One run to start now: its item's index and its start. */
export interface ToStart {
  index: number;
  start: RunStart;
}

/**
 * What a parent's fan-out over its runs knows (`runAll`, src/workflows/runs.ts, says how the
 * fan-out goes): which items are started next, which runs are open, which items wait behind
 * another parent's run and which start again once that run ended, the counts, the runs that
 * waited for a worker, the failure it stopped on, and each item's outcome. `runAll` asks it
 * what to start and what to await and hands it what the activities answered; it calls no
 * activity and reads no clock, so it is as deterministic as the answers it is given.
 */
export class FanOut<R> {
  private readonly outcomes: (RunOutcome<R> | undefined)[];
  private readonly waited = new Map<string, WaitingRun>();
  private readonly open = new Map<string, { index: number; run: StartedRun }>();
  /** Items whose id another parent's run holds: each waits for that run to end, then starts. */
  private readonly held = new Map<string, { index: number; other: StartedRun; startedBy: string }>();
  /** Items whose other parent's run has ended: started before any new item. */
  private readonly again: number[] = [];
  /**
   * What the last await said waits for a worker, the runs waited for included: the next await
   * returns early only when that changes.
   */
  private waitingIds: string[] = [];
  private done: number;
  private failed: number;
  /** This parent's open runs that the last await found waiting for a worker of their build. */
  private waiting: WaitingRun[] = [];
  /** The runs of other parents waited for that the last await found waiting for a worker of their build. */
  private othersWaiting: WaitingRun[] = [];
  /** The first item not reached yet. */
  private next = 0;
  private stoppedBy: { index: number; failure: Failed<R> } | null = null;
  private readonly unstarted: number[] = [];

  constructor(
    private readonly items: readonly RunItem<R>[],
    private readonly options: FanOutOptions<R>,
  ) {
    this.outcomes = new Array(items.length);
    const counts = options.counts ?? { done: 0, failed: 0 };
    this.done = counts.done;
    this.failed = counts.failed;
  }

  /** Whether anything is left to do: items not reached yet, runs open or held, items to start again. */
  get pending(): boolean {
    return this.next < this.items.length || this.open.size > 0 || this.held.size > 0 || this.again.length > 0;
  }

  /**
   * The runs to start now: first the items whose other parent's run ended, then new items while
   * fewer than `concurrency` are open or held. An item whose outcome was decided beforehand is
   * finished on the way, without a run. Once stopped, every item not started yet (held, to
   * start again, or not reached) never starts, and the batch holds none of them.
   */
  nextBatch(): ToStart[] {
    const batch: ToStart[] = [];
    if (this.stoppedBy !== null) {
      // No more runs start: the items still waiting for another parent's run never start either.
      for (const { index } of this.held.values()) this.neverStarted(index, this.stoppedBy.failure);
      for (const index of this.again) this.neverStarted(index, this.stoppedBy.failure);
      this.held.clear();
      this.again.length = 0;
    }
    for (const index of this.again.splice(0)) batch.push({ index, start: this.startOf(index) });
    while (
      this.next < this.items.length &&
      (this.stoppedBy !== null || this.open.size + this.held.size + batch.length < this.options.concurrency)
    ) {
      const item = this.items[this.next] as RunItem<R>;
      if ('outcome' in item) this.finish(this.next, item.outcome);
      else if (this.stoppedBy !== null) this.neverStarted(this.next, this.stoppedBy.failure);
      else batch.push({ index: this.next, start: item.start });
      this.next++;
    }
    return batch;
  }

  /**
   * What starting `batch` answered, one per run in its order: a run started (open until it
   * ends), another parent's run that holds its id (awaited; the item starts again once it
   * ends), or an outcome already (refused, or found ended).
   */
  started(batch: readonly ToStart[], answers: readonly (StartedRun | RunOutcome | BusyRun)[]): void {
    answers.forEach((answer, i) => {
      const { index } = batch[i] as ToStart;
      if ('busy' in answer)
        this.held.set(answer.workflowId, { index, other: answer.run, startedBy: answer.startedBy });
      else if ('runId' in answer) this.open.set(answer.workflowId, { index, run: answer });
      else this.finish(index, answer);
    });
  }

  /**
   * The runs to await: this parent's open runs, then the other parents' runs its items wait
   * behind. Empty when there is nothing to await.
   */
  toAwait(): StartedRun[] {
    return [...[...this.open.values()].map((o) => o.run), ...[...this.held.values()].map((h) => h.other)];
  }

  /** What the last await found waiting for a worker (workflow ids), for the next await. */
  get knownWaiting(): string[] {
    return this.waitingIds;
  }

  /**
   * What an await answered: the runs that ended (this parent's finish their items; another
   * parent's, however it ended, lets the item it held start again) and the runs that wait for
   * a worker of their build now.
   */
  awaited(answer: { finished: readonly RunOutcome[]; waiting: readonly WaitingRun[] }): void {
    for (const outcome of answer.finished) {
      const entry = this.open.get(outcome.workflowId);
      if (entry) {
        this.open.delete(outcome.workflowId);
        this.finish(entry.index, outcome);
        continue;
      }
      // The other parent's run ended, however it ended: this parent's own starts now.
      const heldBack = this.held.get(outcome.workflowId);
      if (!heldBack) continue;
      this.held.delete(outcome.workflowId);
      this.again.push(heldBack.index);
    }
    this.waitingIds = answer.waiting.map((w) => w.workflowId);
    this.waiting = answer.waiting.filter((w) => this.open.has(w.workflowId));
    this.othersWaiting = answer.waiting.filter((w) => this.held.has(w.workflowId));
    for (const w of this.waiting) if (!this.waited.has(w.workflowId)) this.waited.set(w.workflowId, w);
  }

  /** The runs this parent started that have not ended: a cancelled parent cancels them. */
  openRuns(): StartedRun[] {
    return [...this.open.values()].map((o) => o.run);
  }

  /** What the progress query says of the fan-out now. */
  progress(): Pick<Progress, 'done' | 'failed' | 'current' | 'waiting' | 'runs' | 'behind'> {
    const label = (index: number) => (this.items[index] as RunItem<R>).label;
    return {
      done: this.done,
      failed: this.failed,
      current: [...this.open.values()].map(({ index }) => label(index)),
      waiting: this.waiting,
      // Only the query's answer changes (no command, nothing in the history): replays as before.
      runs: [...this.open.keys()],
      behind: behindRuns(
        [...this.held.values()].map(({ index, other, startedBy }) => ({
          label: label(index),
          other,
          startedBy,
        })),
        this.othersWaiting,
      ),
    };
  }

  /** Every item's outcome and what else the fan-out found; complete once nothing is `pending`. */
  result(): RunAllResult<R> {
    return {
      outcomes: this.outcomes as RunOutcome<R>[],
      waited: [...this.waited.values()],
      notStarted: this.unstarted,
      stoppedBy: this.stoppedBy,
    };
  }

  // A result reaches the parent as the JSON the awaiting activity read from the run: the
  // workflow that run started returns R (its start says so), so this is where it is taken as R.
  private finish(index: number, outcome: RunOutcome<unknown>): void {
    this.outcomes[index] = outcome as RunOutcome<R>;
    this.done++;
    if (outcome.status === 'failed') this.failed++;
    if (this.stoppedBy !== null || this.options.stopOn === undefined) return;
    const failure = this.options.stopOn(outcome as RunOutcome<R>);
    if (failure !== null) this.stoppedBy = { index, failure };
  }

  private neverStarted(index: number, failure: Failed<R>): void {
    // Neither done nor failed in the progress: it never ran.
    this.unstarted.push(index);
    this.outcomes[index] = notStarted(this.startOf(index).workflowId, {
      errorType: failure.errorType,
      message: `not started after ${failure.workflowId} failed: ${failure.message}`,
    });
  }

  private startOf(index: number): Start<R> {
    return (this.items[index] as { start: Start<R> }).start;
  }
}

/**
 * The progress query's `behind`: each item held by another parent's run, with that run and the
 * parent that started it, and whether that run waits for a worker of its build (`waiting`, as
 * the last await found the runs waited for): a parent behind such a run waits on that worker
 * too, and its follower is told so rather than only that it waits.
 */
export function behindRuns(
  held: readonly { label: string; other: StartedRun; startedBy: string }[],
  waiting: readonly WaitingRun[],
): BehindRun[] {
  const waits = new Map(waiting.map((w) => [w.workflowId, w]));
  return held.map(({ label, other, startedBy }) => {
    const w = waits.get(other.workflowId);
    return {
      workflowId: other.workflowId,
      label,
      startedBy,
      ...(w ? { waitsForWorker: { toolVersion: w.toolVersion, since: w.since } } : {}),
    };
  });
}

/**
 * The items a parent that stopped (`stopOn`) does not reach at all (a backfill's later batches,
 * a rerun's dates after its first): each whose outcome was decided beforehand (nothing due, no
 * pin) is handed to `decided` to be counted as it would have been, the others would have
 * started a run, and are counted as not attempted: how many.
 */
export function notReached<T, R>(
  rest: readonly T[],
  itemOf: (each: T) => RunItem<R>,
  decided: (each: T, outcome: RunOutcome<R>) => void,
): number {
  let notAttempted = 0;
  for (const each of rest) {
    const item = itemOf(each);
    if ('outcome' in item) decided(each, item.outcome);
    else notAttempted++;
  }
  return notAttempted;
}

/** The outcome of a run that was never started, with the error that kept it from starting. */
export function notStarted(
  workflowId: string,
  error: { errorType: string; message: string },
): RunOutcome<never> {
  return { workflowId, status: 'failed', errorType: error.errorType, message: error.message };
}
