/**
 * A worker thread's side of `StatisticsPool`: computes one statistic. Kept tiny so that
 * starting a thread loads only the statistics engine.
 */
import type { StatisticSpec } from '../config/spec.js';
import { type ErrorData, errorData } from '../errors.js';
import { computeStatistic, type StatisticContext } from './index.js';
import type { StatisticInput } from './inputs.js';

export interface StatisticTask {
  statistic: StatisticSpec;
  input: StatisticInput;
  context: StatisticContext;
}

/**
 * The result, or what went wrong as data: a thrown error would reach the pool structured-cloned,
 * losing its class and its `permanent` flag (a bad parameter would look like a transient fault).
 */
export type StatisticOutcome =
  | { ok: true; result: ReturnType<typeof computeStatistic> }
  | { ok: false; error: ErrorData };

export default function compute(task: StatisticTask): StatisticOutcome {
  try {
    return { ok: true, result: computeStatistic(task.statistic, task.input, task.context) };
  } catch (error) {
    return { ok: false, error: errorData(error) };
  }
}
