import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { addDays } from '../dates.js';
import { IsoDate } from '../experiments/experiment.js';

/**
 * Who is in the synthetic population and what each branch does to them. The experiments come
 * from `experiments.json` (Experimenter v8 shape); the effects are the ground truth that a
 * correct analysis must recover, so tests and demos can check direction and size.
 */

/** Metrics the generator can move, by the clients_daily column that carries them. */
export const SAMPLE_METRICS = [
  'active_hours',
  'uri_count',
  'search_count',
  'ad_clicks',
  'days_of_use',
] as const;
export type SampleMetric = (typeof SAMPLE_METRICS)[number];

/** Relative effect (0.05 = +5 %) of a branch on a metric, applied to exposed clients from exposure on. */
export const BranchEffects = z.partialRecord(z.enum(SAMPLE_METRICS), z.number().gt(-1).lt(10));
export type BranchEffects = z.infer<typeof BranchEffects>;

export const SampleExperiment = z.object({
  slug: z.string().min(1),
  /** Nimbus feature the exposure events name. */
  featureId: z.string().min(1),
  isRollout: z.boolean(),
  branches: z.array(z.object({ slug: z.string().min(1), ratio: z.number().positive() })).min(1),
  /** First and last day on which clients enroll (inclusive). */
  enrollmentStart: IsoDate,
  enrollmentDays: z.number().int().positive(),
  /** Share of the population that enrolls in this experiment (clients enroll in at most one). */
  share: z.number().gt(0).lte(1),
  /** Share of enrolled clients that are later exposed (exposure on day 0–2 after enrollment). */
  exposeFraction: z.number().min(0).max(1),
  /** branch slug → effects; branches not listed have no effect. */
  effects: z.record(z.string(), BranchEffects).default({}),
});
export type SampleExperiment = z.infer<typeof SampleExperiment>;
export type SampleExperimentInput = z.input<typeof SampleExperiment>;

/** The subset of Experimenter's v8 JSON the generator reads. */
const ExperimenterV8 = z.object({
  slug: z.string(),
  appName: z.string(),
  isRollout: z.boolean(),
  featureIds: z.array(z.string()),
  branches: z.array(z.object({ slug: z.string(), ratio: z.number() })),
  startDate: IsoDate.nullable(),
  enrollmentEndDate: IsoDate.nullable(),
  proposedEnrollment: z.number().int().nonnegative(),
});

/** Experiments in Experimenter's v8 JSON shape: the demo first, then four small ones. */
export function sampleExperimentsJson(): unknown[] {
  return z
    .array(z.unknown())
    .parse(JSON.parse(readFileSync(new URL('./experiments.json', import.meta.url), 'utf8')));
}

export const DEMO_SLUG = 'contrail-demo-sidebar';

/**
 * Shares and effects per experiment. The demo gets most clients and real effects in both
 * directions (treatment-a helps, treatment-b hurts some metrics); the small ones exist so a
 * daily run has several experiments in several states.
 */
const POPULATION: Record<string, Pick<SampleExperimentInput, 'share' | 'exposeFraction' | 'effects'>> = {
  [DEMO_SLUG]: {
    share: 0.7,
    exposeFraction: 0.6,
    effects: {
      'treatment-a': { active_hours: 0.1, uri_count: 0.05, search_count: 0.15, days_of_use: 0.05 },
      'treatment-b': {
        active_hours: -0.08,
        uri_count: 0,
        search_count: 0.05,
        ad_clicks: -0.2,
        days_of_use: -0.05,
      },
    },
  },
  'contrail-demo-search-bar': {
    share: 0.05,
    exposeFraction: 0.8,
    effects: { treatment: { search_count: 0.1 } },
  },
  'contrail-demo-pinned-tabs': {
    share: 0.05,
    exposeFraction: 0.5,
    effects: { treatment: { uri_count: 0.05 } },
  },
  'contrail-demo-dark-mode-rollout': { share: 0.05, exposeFraction: 0.9, effects: {} },
};

/**
 * The launched firefox_desktop experiments of experiments.json as the generator sees them.
 * Enrollment runs from startDate to enrollmentEndDate (else proposedEnrollment days).
 */
export function defaultSampleExperiments(): SampleExperiment[] {
  const experiments: SampleExperiment[] = [];
  for (const raw of sampleExperimentsJson()) {
    const v8 = ExperimenterV8.parse(raw);
    const population = POPULATION[v8.slug];
    if (v8.startDate === null || v8.appName !== 'firefox_desktop' || !population) continue;
    const enrollmentDays =
      v8.enrollmentEndDate === null
        ? Math.max(1, v8.proposedEnrollment)
        : Math.round((Date.parse(v8.enrollmentEndDate) - Date.parse(v8.startDate)) / 86_400_000) + 1;
    experiments.push(
      SampleExperiment.parse({
        slug: v8.slug,
        featureId: v8.featureIds[0] ?? 'none',
        isRollout: v8.isRollout,
        branches: v8.branches,
        enrollmentStart: v8.startDate,
        enrollmentDays,
        ...population,
      }),
    );
  }
  return experiments;
}

/**
 * The demo's data window: 28 days before its start (preenrollment_days28) through its end date
 * (2026-02-02 … 2026-03-29, 56 days), so every analysis period of the demo has data.
 */
export const DEMO_DATA = { startDate: '2026-02-02', days: 56 } as const;

export { addDays };
