import { z } from 'zod';
import { Provenance } from '../provenance.js';

/** Any JSON value (TOML parameters are JSON-shaped): string, number, boolean, null, arrays, tables. */
const JsonValue = z.json();

export const PreTreatmentSpec = z.object({
  /** jetstream name: remove_nulls, censor_highest_values, log, ... */
  name: z.string(),
  args: z.record(z.string(), JsonValue).default({}),
});
export type PreTreatmentSpec = z.infer<typeof PreTreatmentSpec>;

/** A statistic as a metric's config names it: what the engine computes for that metric. */
export const StatisticSpec = z.object({
  /** jetstream config name: bootstrap_mean, binomial, linear_model_mean, ... */
  name: z.string(),
  /** Parameters as written in the config (defaults are applied by `src/statistics`). */
  params: z.record(z.string(), JsonValue).default({}),
  preTreatments: z.array(PreTreatmentSpec).default([]),
  /** Where the statistic is configured (the line of its metric's statistics table), for its errors. */
  provenance: Provenance.optional(),
});
export type StatisticSpec = z.infer<typeof StatisticSpec>;
