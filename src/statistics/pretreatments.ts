import { z } from 'zod';
import { histogramOf, histogramQuantile } from './histogram.js';
import type { BranchBins, StatisticInput, ValueBin } from './inputs.js';
import { parseParams, StatisticConfigError } from './params.js';
import type { PreTreatmentSpec } from './spec.js';

/**
 * Pre-treatments, with jetstream's names and defaults, applied to the bins of every branch
 * together (jetstream applies them to the whole per-client table, so quantile cut-offs are
 * pooled over branches). They act on `y`, and also on `x` when `x` is a second metric
 * (population_ratio's denominator) — not when `x` is the pre-period covariate.
 */
type Column = 'y' | 'x';
type Apply = (input: StatisticInput, column: Column) => StatisticInput;

interface PreTreatmentDef<S extends z.ZodObject> {
  params: S;
  make: (params: z.infer<S>) => Apply;
}

function mapBins(input: StatisticInput, f: (bin: ValueBin) => ValueBin | null): StatisticInput {
  const branches: BranchBins[] = input.branches.map((b) => ({
    branch: b.branch,
    bins: b.bins.flatMap((bin) => {
      const out = f(bin);
      return out === null ? [] : [out];
    }),
  }));
  return { ...input, branches };
}

const get = (bin: ValueBin, col: Column): number | null => (col === 'y' ? bin.y : bin.x) ?? null;
const set = (bin: ValueBin, col: Column, v: number | null): ValueBin =>
  col === 'y' ? { ...bin, y: v } : { ...bin, x: v };

/** Keep bins whose (non-null) value passes `keep`; null values fail every comparison, as in pandas. */
const filterBy =
  (keep: (v: number) => boolean): Apply =>
  (input, col) =>
    mapBins(input, (bin) => {
      const v = get(bin, col);
      return v !== null && keep(v) ? bin : null;
    });

function pooledQuantile(input: StatisticInput, col: Column, q: number): number {
  const all = input.branches.flatMap((b) => b.bins);
  // pandas' Series.quantile skips missing values; ±inf take part like any other value.
  const { histogram } = histogramOf(all, (bin) => {
    const v = get(bin, col);
    return v === null || Number.isNaN(v) ? null : v;
  });
  return histogramQuantile(histogram, q);
}

const fraction = (def: number) =>
  z
    .number()
    .gt(0, 'must be between 0 and 1 (exclusive)')
    .lt(1, 'must be between 0 and 1 (exclusive)')
    .default(def);

function pt<S extends z.ZodObject>(d: PreTreatmentDef<S>): PreTreatmentDef<z.ZodObject> {
  return d as unknown as PreTreatmentDef<z.ZodObject>;
}

const defs = {
  // pandas' dropna (jetstream's remove_nulls) takes NaN for missing too.
  remove_nulls: pt({
    params: z.object({}),
    make: () => filterBy((v) => !Number.isNaN(v)),
  }),
  // jetstream drops null and +inf only; -inf (for example log(0)) is just as indefinite, so
  // contrail drops every non-finite value.
  remove_indefinites: pt({
    params: z.object({}),
    make: () => filterBy((v) => Number.isFinite(v)),
  }),
  // jetstream reads a statistic's input `WHERE metric IS NOT NULL`, so its zero_fill never sees
  // a client without a value: it fills only NaN (which IS NOT NULL in SQL, and missing to
  // pandas). A client whose metric is NULL stays out of the statistic here too; a metric that
  // means 0 for them says so in its SQL (COALESCE, agg_sum).
  zero_fill: pt({
    params: z.object({}),
    make: () => (input, col) =>
      mapBins(input, (bin) => {
        const v = get(bin, col);
        return v !== null && Number.isNaN(v) ? set(bin, col, 0) : bin;
      }),
  }),
  censor_highest_values: pt({
    params: z.object({ fraction: fraction(1 - 1e-5) }),
    make:
      ({ fraction }) =>
      (input, col) => {
        const cut = pooledQuantile(input, col, fraction);
        return filterBy((v) => v < cut)(input, col);
      },
  }),
  censor_lowest_values: pt({
    params: z.object({ fraction: fraction(1e-5) }),
    make:
      ({ fraction }) =>
      (input, col) => {
        const cut = pooledQuantile(input, col, fraction);
        return filterBy((v) => v > cut)(input, col);
      },
  }),
  censor_values_below_threshold: pt({
    params: z.object({ threshold: z.number({ error: 'is required and must be a number' }) }),
    make:
      ({ threshold }) =>
      (input, col) =>
        filterBy((v) => v > threshold)(input, col),
  }),
  censor_values_above_threshold: pt({
    params: z.object({ threshold: z.number({ error: 'is required and must be a number' }) }),
    make:
      ({ threshold }) =>
      (input, col) =>
        filterBy((v) => v < threshold)(input, col),
  }),
  // The period length is the analysis window's, as in jetstream (which overrides any argument).
  normalize_over_analysis_period: pt({
    params: z.object({}),
    make: () => (input, col) => {
      const days = input.windowDays > 0 ? input.windowDays : 1;
      return mapBins(input, (bin) => {
        const v = get(bin, col);
        return v === null ? bin : set(bin, col, v / days);
      });
    },
  }),
  log: pt({
    params: z.object({
      base: z
        .number()
        .gt(0, 'must be a positive number other than 1, or null for ln')
        .refine((b) => b !== 1, 'must be a positive number other than 1, or null for ln')
        .nullable()
        .default(10),
    }),
    make:
      ({ base }) =>
      (input, col) => {
        const div = base === null ? 1 : Math.log(base);
        return mapBins(input, (bin) => {
          const v = get(bin, col);
          // log(0) = -inf and log(negative) = NaN, as numpy gives: a later pre-treatment or the
          // statistic's own check decides what to do with them.
          return v === null ? bin : set(bin, col, Math.log(v) / div);
        });
      },
  }),
} as const;

export type PreTreatmentName = keyof typeof defs;
export const PRE_TREATMENT_NAMES = Object.keys(defs) as PreTreatmentName[];

function isPreTreatmentName(name: string): name is PreTreatmentName {
  return Object.hasOwn(defs, name);
}

/** The parameter schema of a pre-treatment, or null for an unknown name (config validation uses it). */
export function preTreatmentParams(name: string): z.ZodObject | null {
  return isPreTreatmentName(name) ? defs[name].params : null;
}

/** Resolves a configured pre-treatment (validating its arguments) to a function. */
export function resolvePreTreatment(spec: PreTreatmentSpec): Apply {
  if (!isPreTreatmentName(spec.name)) {
    throw new StatisticConfigError(
      `unknown pre-treatment '${spec.name}'; valid pre-treatments: ${PRE_TREATMENT_NAMES.join(', ')}`,
    );
  }
  const def = defs[spec.name];
  return def.make(parseParams('pre-treatment', spec.name, def.params, spec.args ?? {}));
}

/** Applies pre-treatments in order to `columns` of the input. */
export function applyPreTreatments(
  input: StatisticInput,
  specs: readonly PreTreatmentSpec[],
  columns: readonly Column[],
): StatisticInput {
  let out = input;
  for (const spec of specs) {
    const apply = resolvePreTreatment(spec);
    for (const col of columns) out = apply(out, col);
  }
  return out;
}
