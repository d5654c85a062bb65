import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { type Outcome, resultOf } from '../errors.js';
import type { computeStatistic } from './index.js';
import type { StatisticTask } from './worker.js';

export type { StatisticTask } from './worker.js';

/**
 * Statistics computed on worker threads. The bootstrap is CPU-bound: on the caller's thread it
 * would stall everything else the process does (a Temporal worker's heartbeats and workflow
 * tasks), and one thread leaves the other cores idle. Results are the same as
 * `computeStatistic` on the calling thread: each task carries its own seed.
 */
export class StatisticsPool {
  private readonly pool: Piscina;

  constructor(threads = Math.max(1, availableParallelism())) {
    this.pool = new Piscina({
      // From source the worker is TypeScript, loaded through the same --import hooks as the parent.
      filename: new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href,
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: 10_000,
    });
  }

  /**
   * Runs every task, in parallel across threads; results in task order. A task's error is
   * rebuilt on this side of the thread boundary under its own name and permanence.
   */
  async computeAll(tasks: StatisticTask[]): Promise<ReturnType<typeof computeStatistic>[]> {
    return await Promise.all(tasks.map((task) => this.run<ReturnType<typeof computeStatistic>>(task)));
  }

  /** One task on a thread; its error, sent back as data, is rebuilt here. */
  private async run<T>(task: unknown): Promise<T> {
    return resultOf((await this.pool.run(task)) as Outcome<T>);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
