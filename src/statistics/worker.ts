/**
 * A worker thread's side of `StatisticsPool`: computes one statistic. Kept tiny so that
 * starting a thread loads only the statistics engine.
 */
import type { StatisticSpec } from '../config/spec.js';
import { computeStatistic, type StatisticContext } from './index.js';
import type { StatisticInput } from './inputs.js';

export interface StatisticTask {
  statistic: StatisticSpec;
  input: StatisticInput;
  context: StatisticContext;
}

export default function compute(task: StatisticTask): ReturnType<typeof computeStatistic> {
  return computeStatistic(task.statistic, task.input, task.context);
}
