import { ApplicationFailure } from '@temporalio/common';
import { ConfigError } from '../config/problems.js';
import { ContrailError } from '../errors.js';
import { ExperimentsFileError } from '../experiments/source.js';
import { PlanError } from '../sql/plan/common.js';
import { PlannedQueryError } from '../sql/run.js';
import { EnrollmentLongerThanAnalysisError } from '../sql/windows.js';
import { StatisticConfigError } from '../statistics/index.js';
import { WarehouseQueryError } from '../warehouse/errors.js';

/** The experiment slug is in neither the experiment source nor (for previews) anywhere else. */
export class UnknownExperimentError extends ContrailError {
  constructor(
    readonly slug: string,
    known: string[],
  ) {
    const list = known.length > 0 ? known.slice(0, 20).join(', ') : 'none';
    super(`unknown experiment '${slug}': not in the experiment source (known: ${list})`, {
      permanent: true,
      details: { slug },
    });
    this.name = 'UnknownExperimentError';
  }
}

/** An activity was called with input that can never work (e.g. a window that is not due on the date). */
export class InvalidInputError extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'InvalidInputError';
  }
}

/**
 * Maps domain errors to what Temporal should do with them. Anything a retry cannot fix — a
 * config problem, an unknown slug, a metric whose SQL the warehouse rejects — becomes a
 * non-retryable ApplicationFailure whose type the workflows list as permanent and whose message
 * is the domain message (file, line, key). Transient warehouse errors, cancellations and
 * everything unexpected are rethrown unchanged, so Temporal's retry policy applies.
 */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof ConfigError) {
    return ApplicationFailure.nonRetryable(error.message, 'ConfigError', { problems: error.problems });
  }
  if (
    error instanceof PlanError ||
    error instanceof StatisticConfigError ||
    error instanceof EnrollmentLongerThanAnalysisError ||
    error instanceof ExperimentsFileError
  ) {
    return ApplicationFailure.nonRetryable(error.message, 'ConfigError', { problems: [] });
  }
  if (error instanceof UnknownExperimentError) {
    return ApplicationFailure.nonRetryable(error.message, 'UnknownExperiment', { slug: error.slug });
  }
  if (error instanceof InvalidInputError) {
    return ApplicationFailure.nonRetryable(error.message, 'InvalidInput');
  }
  if (error instanceof PlannedQueryError && error.permanent) {
    return ApplicationFailure.nonRetryable(error.message, 'MetricSqlError', {
      table: error.planned.destination.table,
      warehouseMessage: error.warehouseMessage,
      metrics: (error.planned.metrics ?? []).map((m) => ({ name: m.name, ...m.provenance })),
    });
  }
  // contrail's own statements (views, writeRows) rejected for good: retrying repeats the failure.
  if (error instanceof WarehouseQueryError && error.permanent) {
    return ApplicationFailure.nonRetryable(error.message, 'WarehouseQueryError', {
      warehouseMessage: error.warehouseMessage,
    });
  }
  return error;
}

/** Wraps every activity of an object so domain errors leave it as the failures above. */
export function withFailureMapping<T extends object>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (error) {
        throw toActivityFailure(error);
      }
    };
  }
  return wrapped as T;
}
