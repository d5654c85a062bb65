/**
 * The statistics engine: pure functions from warehouse aggregates to result rows.
 * Never imports Temporal.
 */

import type { ComputeContext, StatisticOutput } from './context.js';
import { chunkCount, type DirichletDraw, dirichletChunks } from './dirichlet.js';
import type { StatisticInput } from './inputs.js';
import { StatisticConfigError } from './params.js';
import { applyPreTreatments, PRE_TREATMENT_NAMES, resolvePreTreatment } from './pretreatments.js';
import { checkSeed } from './random.js';
import { type RequiredInput, resolveStatistic, STATISTIC_NAMES, STATISTICS } from './registry.js';
import { StatisticResultRow } from './results.js';
import type { BootstrapState } from './sampled.js';
import type { StatisticSpec } from './spec.js';

export type { BranchBins, StatisticInput, ValueBin } from './inputs.js';
export { StatisticConfigError } from './params.js';
export { QUANTIZATION, quantize } from './quantize.js';
export { COMPARISONS, type Comparison, IDENTITY_METRIC, StatisticResultRow } from './results.js';
export { type SampleRatioMismatch, sampleRatioMismatch } from './srm.js';
export { PRE_TREATMENT_NAMES, type RequiredInput, STATISTIC_NAMES, STATISTICS };

export interface StatisticContext {
  segment: string;
  analysisBasis: 'enrollments' | 'exposures';
  windowIndex: string;
  referenceBranch: string | null;
  seed: number;
}

const PREENROLLMENT = new Set(['preenrollment_week', 'preenrollment_days28']);

/**
 * Which bins the warehouse must build: `y` only; `y` plus the pre-period covariate `x`; or the
 * numerator metric in `y` and the denominator metric in `x`. Give the analysis `period` to apply
 * jetstream's rule that a pre-enrolment period (or the covariate's own period) is not adjusted.
 * Validates the statistic's name and parameters.
 */
export function requiredInput(
  statistic: Pick<StatisticSpec, 'name' | 'params'>,
  period?: string,
): RequiredInput {
  const { def, params } = resolveStatistic(statistic);
  const req = def.input(params);
  if (
    req.kind === 'covariate' &&
    period !== undefined &&
    (PREENROLLMENT.has(period) || period === req.period)
  ) {
    return { kind: 'values' };
  }
  return req;
}

const compareNullable = (a: number | null | undefined, b: number | null | undefined) =>
  a === b ? 0 : a === null || a === undefined ? -1 : b === null || b === undefined ? 1 : a - b;

/**
 * Branches by name and each branch's bins by value. Warehouses return aggregates in no
 * particular order, and the order decides which random draw weights which value: in canonical
 * order, the same seed gives the same numbers on every run.
 */
function canonicalOrder(input: StatisticInput): StatisticInput {
  return {
    ...input,
    branches: [...input.branches]
      .sort((a, b) => (a.branch < b.branch ? -1 : a.branch > b.branch ? 1 : 0))
      .map((b) => ({
        branch: b.branch,
        bins: [...b.bins].sort((p, q) => compareNullable(p.y, q.y) || compareNullable(p.x, q.x)),
      })),
  };
}

export interface StatisticOutputRows {
  rows: StatisticResultRow[];
  warnings: string[];
  /** What jetstream logs as a StatisticComputationException (`StatisticOutput.computationErrors`). */
  computationErrors?: string[];
}

/**
 * A statistic waiting for its Dirichlet replicates, as plain data (it crosses between threads):
 * what `finishStatistic` needs besides them.
 */
export interface PendingStatistic {
  statistic: StatisticSpec;
  context: StatisticContext;
  metric: string;
  branches: string[];
  state: BootstrapState;
}

/** The first step of a statistic: its result, or the replicates it needs and how to finish. */
export type StatisticStart =
  | { kind: 'done'; output: StatisticOutputRows }
  | { kind: 'bootstrap'; draws: (DirichletDraw | null)[]; pending: PendingStatistic };

function computeContext(statistic: StatisticSpec, metric: string, context: StatisticContext): ComputeContext {
  return {
    metric,
    segment: context.segment,
    analysisBasis: context.analysisBasis,
    windowIndex: context.windowIndex,
    statisticName: statistic.name,
    referenceBranch: context.referenceBranch,
    seed: context.seed,
  };
}

/** Warnings once each, the reference branch checked, every row checked against the schema. */
function finalize(
  statistic: StatisticSpec,
  metric: string,
  branches: string[],
  context: StatisticContext,
  out: StatisticOutput,
): StatisticOutputRows {
  const warnings = [...new Set(out.warnings)];
  if (context.referenceBranch !== null && !branches.includes(context.referenceBranch)) {
    warnings.push(
      `${metric}/${statistic.name}: reference branch '${context.referenceBranch}' is not in the input (branches: ${branches.join(', ')}); no comparisons with it`,
    );
  }
  // The schema is the contract: a row that is not finite-or-null is a bug, caught here.
  const computationErrors = [...new Set(out.computationErrors ?? [])];
  return {
    rows: out.rows.map((r) => StatisticResultRow.parse(r)),
    warnings,
    ...(computationErrors.length > 0 ? { computationErrors } : {}),
  };
}

/**
 * Validates the statistic and its input, applies the pre-treatments, and either computes the
 * statistic or, for a bootstrap, plans the Dirichlet draws it needs (see `computeStatistic`
 * for the whole on one thread, `StatisticsPool` for the draws spread over threads).
 * Throws StatisticConfigError for an unknown statistic, pre-treatment or parameter.
 */
export function startStatistic(
  statistic: StatisticSpec,
  input: StatisticInput,
  context: StatisticContext,
): StatisticStart {
  const { def, params } = resolveStatistic(statistic);
  const preTreatments = statistic.preTreatments ?? [];
  for (const p of preTreatments) resolvePreTreatment(p);
  checkSeed(context.seed);
  const branches = input.branches.map((b) => b.branch);
  if (new Set(branches).size !== branches.length) {
    throw new StatisticConfigError(
      `input for metric '${input.metric}' lists a branch twice: ${branches.join(', ')}`,
    );
  }
  const kind = def.input(params).kind;
  input = canonicalOrder(input);
  const treated = applyPreTreatments(input, preTreatments, kind === 'ratio' ? ['y', 'x'] : ['y']);
  const ctx = computeContext(statistic, input.metric, context);
  if (def.bootstrap === undefined) {
    const output = finalize(statistic, input.metric, branches, context, def.compute(params, treated, ctx));
    return { kind: 'done', output };
  }
  const { draws, state } = def.bootstrap.plan(params, treated, ctx);
  return { kind: 'bootstrap', draws, pending: { statistic, context, metric: input.metric, branches, state } };
}

/** Summarizes a bootstrap statistic from its replicates (in the order of its draws; null for none). */
export function finishStatistic(
  pending: PendingStatistic,
  replicates: (Float64Array | null)[],
): StatisticOutputRows {
  const { statistic, context, metric, branches, state } = pending;
  const { def, params } = resolveStatistic(statistic);
  if (def.bootstrap === undefined) {
    throw new StatisticConfigError(`statistic '${statistic.name}' is not a bootstrap`);
  }
  const ctx = computeContext(statistic, metric, context);
  return finalize(
    statistic,
    metric,
    branches,
    context,
    def.bootstrap.summarize(params, state, replicates, ctx),
  );
}

/** Draws the replicates of each draw on this thread. */
export function drawReplicates(draws: readonly (DirichletDraw | null)[]): (Float64Array | null)[] {
  return draws.map((d) => (d === null ? null : dirichletChunks(d, 0, chunkCount(d.numSamples))));
}

/**
 * Applies the pre-treatments, then the statistic with jetstream's parameter defaults, and
 * returns result rows (every value finite or null) and warnings for degenerate data, all on
 * the calling thread. Throws StatisticConfigError for an unknown statistic, pre-treatment or
 * parameter.
 */
export function computeStatistic(
  statistic: StatisticSpec,
  input: StatisticInput,
  context: StatisticContext,
): StatisticOutputRows {
  const start = startStatistic(statistic, input, context);
  if (start.kind === 'done') return start.output;
  return finishStatistic(start.pending, drawReplicates(start.draws));
}
