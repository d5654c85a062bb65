/**
 * A worker thread's side of `StatisticsPool`: the steps of one statistic, by name. Kept tiny
 * so that starting a thread loads only the statistics engine. Each step returns an `Outcome`:
 * an error travels as data and the pool rebuilds it, keeping its class name and permanence.
 */

import { type Outcome, outcomeOf } from '../errors.js';
import { type DirichletDraw, dirichletChunks } from './dirichlet.js';
import {
  finishStatistic,
  type PendingStatistic,
  type StatisticContext,
  type StatisticStart,
  startStatistic,
} from './index.js';
import type { StatisticInput } from './inputs.js';
import type { StatisticSpec } from './spec.js';

export interface StatisticTask {
  statistic: StatisticSpec;
  input: StatisticInput;
  context: StatisticContext;
}

/** Chunks [first, last) of one Dirichlet draw. */
export interface ChunksTask {
  draw: DirichletDraw;
  first: number;
  last: number;
}

export interface FinishTask {
  pending: PendingStatistic;
  replicates: (Float64Array | null)[];
}

export function start(task: StatisticTask): Outcome<StatisticStart> {
  return outcomeOf(() => startStatistic(task.statistic, task.input, task.context));
}

export function chunks(task: ChunksTask): Outcome<Float64Array> {
  return outcomeOf(() => dirichletChunks(task.draw, task.first, task.last));
}

export function finish(task: FinishTask): Outcome<ReturnType<typeof finishStatistic>> {
  return outcomeOf(() => finishStatistic(task.pending, task.replicates));
}

/**
 * piscina resolves the default export when a thread starts. From source it loads this file
 * through tsx's require hook; a module without a default export falls through to `import()`,
 * which has no TypeScript loader in a worker thread on Node 20.
 */
export default start;
