/**
 * A worker thread's side of `StatisticsPool`: computes one statistic. Kept tiny so that
 * starting a thread loads only the statistics engine. What it returns is an `Outcome`: an
 * error travels as data and the pool rebuilds it, keeping its class name and permanence.
 */
import type { StatisticSpec } from '../config/spec.js';
import { type Outcome, outcomeOf } from '../errors.js';
import { computeStatistic, type StatisticContext } from './index.js';
import type { StatisticInput } from './inputs.js';

export interface StatisticTask {
  statistic: StatisticSpec;
  input: StatisticInput;
  context: StatisticContext;
}

export default function compute(task: StatisticTask): Outcome<ReturnType<typeof computeStatistic>> {
  return outcomeOf(() => computeStatistic(task.statistic, task.input, task.context));
}
