import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { type ErrorData, errorData, type Outcome, resultOf, reviveError } from '../errors.js';
import { chunkCount, type DirichletDraw } from './dirichlet.js';
import type { StatisticOutputRows, StatisticStart } from './index.js';
import type { ChunksTask, FinishTask, StatisticTask } from './worker.js';
import { statisticsWorkerFile } from './worker-file.js';

export type { StatisticTask } from './worker.js';

/**
 * One task's rows, or its error and whose it is: `byStatistic` when the statistic's own code threw
 * it on its thread (its input or parameters: the same on every attempt), false when the pool could
 * not run it (a thread that crashed or ran out of memory, a task that could not be sent, a
 * cancellation), which says nothing about the statistic.
 */
export type StatisticOutcome =
  | { ok: true; result: StatisticOutputRows }
  | { ok: false; error: ErrorData; byStatistic: boolean };

/** Errors a step's thread sent back as its outcome, rebuilt by `run`: the statistic's own. */
const thrownOnThread = new WeakSet<Error>();

/**
 * Statistics computed on worker threads. The bootstrap is CPU-bound: on the caller's thread it
 * would stall everything else the process does (a Temporal worker's heartbeats and workflow
 * tasks), and one thread leaves the other cores idle. A bootstrap statistic is started on one
 * thread, its replicates are drawn in chunk ranges spread over all threads, and it is
 * summarized on one thread; a single large bootstrap thus uses every core. Results are the
 * same as `computeStatistic` on the calling thread, bit for bit, for any number of threads:
 * each task carries its own seed and each chunk of replicates its own jumped stream. A step's
 * error comes back as data and is rebuilt here under its own name and permanence.
 */
export class StatisticsPool {
  private readonly pool: Piscina;
  readonly threads: number;

  constructor(threads = Math.max(1, availableParallelism())) {
    this.threads = threads;
    const { filename, execArgv } = statisticsWorkerFile();
    this.pool = new Piscina({
      filename,
      execArgv,
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: 10_000,
    });
  }

  /**
   * Runs every task, in parallel across threads; results in task order. A few statistics are in
   * flight at a time (two per thread): enough to keep every thread busy, while the planned
   * draws of the others are not all held at once, and a statistic's chunks do not queue behind
   * the first steps of hundreds of others. Throws the first task's error, once all have settled.
   */
  async computeAll(tasks: StatisticTask[], signal?: AbortSignal): Promise<StatisticOutputRows[]> {
    return (await this.computeEach(tasks, signal)).map(resultOf);
  }

  /**
   * As `computeAll`, each task's result or its error as data, saying whether the statistic threw
   * it: one failing statistic stops no other. `signal` stops them all (a cancelled analysis): the
   * steps running on threads are abandoned, no other starts, and it throws the signal's reason.
   * `onSettled` hears each task that ends, however it ended (progress for the caller to report).
   */
  async computeEach(
    tasks: StatisticTask[],
    signal?: AbortSignal,
    onSettled?: () => void,
  ): Promise<StatisticOutcome[]> {
    const results: StatisticOutcome[] = new Array(tasks.length);
    // Every step on a thread listens for the abort: on a signal of its own, whose listener limit
    // can be lifted, not on the caller's.
    const own = signal ? new AbortController() : null;
    if (own) {
      setMaxListeners(0, own.signal);
      if (signal?.aborted) own.abort(signal.reason);
      else signal?.addEventListener('abort', () => own.abort(signal.reason), { once: true });
    }
    let next = 0;
    const lane = async () => {
      while (next < tasks.length && !own?.signal.aborted) {
        const i = next++;
        try {
          results[i] = { ok: true, result: await this.compute(tasks[i] as StatisticTask, own?.signal) };
        } catch (error) {
          const byStatistic = error instanceof Error && thrownOnThread.has(error);
          results[i] = { ok: false, error: errorData(error), byStatistic };
        }
        onSettled?.();
      }
    };
    await Promise.all(Array.from({ length: Math.min(tasks.length, 2 * this.threads) }, lane));
    signal?.throwIfAborted();
    return results;
  }

  async compute(task: StatisticTask, signal?: AbortSignal): Promise<StatisticOutputRows> {
    const start = await this.run<StatisticStart>(task, 'start', signal);
    if (start.kind === 'done') return start.output;
    const replicates = await Promise.all(
      start.draws.map((d) => (d === null ? null : this.replicates(d, signal))),
    );
    const finish: FinishTask = { pending: start.pending, replicates };
    return await this.run<StatisticOutputRows>(finish, 'finish', signal);
  }

  /** The replicates of one draw, its chunks split into one contiguous range per thread. */
  private async replicates(draw: DirichletDraw, signal?: AbortSignal): Promise<Float64Array> {
    const chunks = chunkCount(draw.numSamples);
    const parts = Math.min(chunks, this.threads);
    const ranges: ChunksTask[] = [];
    for (let j = 0; j < parts; j++) {
      ranges.push({
        draw,
        first: Math.floor((j * chunks) / parts),
        last: Math.floor(((j + 1) * chunks) / parts),
      });
    }
    const pieces = await Promise.all(ranges.map((r) => this.run<Float64Array>(r, 'chunks', signal)));
    const out = new Float64Array(draw.numSamples);
    let offset = 0;
    for (const piece of pieces) {
      out.set(piece, offset);
      offset += piece.length;
    }
    return out;
  }

  /**
   * One step on a thread; an error it threw is rebuilt on this side, and marked as the
   * statistic's own. An error of the pool itself (the thread died, the task could not be sent,
   * the step was aborted) is thrown as it comes, unmarked.
   */
  private async run<T>(task: unknown, name: 'start' | 'chunks' | 'finish', signal?: AbortSignal): Promise<T> {
    const outcome = (await this.pool.run(task, { name, ...(signal ? { signal } : {}) })) as Outcome<T>;
    if (outcome.ok) return outcome.result;
    const error = reviveError(outcome.error);
    thrownOnThread.add(error);
    throw error;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
