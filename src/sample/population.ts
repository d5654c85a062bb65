import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { addDays, daysBetween, IsoDate } from '../dates.js';
import { ExperimentsFileError, parseExperimentsFile } from '../experiments/source.js';

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

const EXPERIMENTS_FILE = new URL('./experiments.json', import.meta.url);

/** Experiments in Experimenter's v8 JSON shape: the demo first, then four small ones. */
export function sampleExperimentsJson(): unknown[] {
  return z.array(z.unknown()).parse(JSON.parse(readFileSync(EXPERIMENTS_FILE, 'utf8')));
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

/** Share and exposure of an experiment of another experiments file than the demo's. */
const OTHER_EXPERIMENT: Pick<SampleExperimentInput, 'share' | 'exposeFraction'> = {
  share: 0.05,
  exposeFraction: 0.5,
};

/** At most this much of the population enrolls, so some clients stay outside every experiment. */
const ENROLLED_AT_MOST = 0.9;

/**
 * The launched firefox_desktop experiments of an experiments file (default: the demo's
 * experiments.json) as the generator sees them. Enrollment runs from startDate to
 * enrollmentEndDate (else proposedEnrollment days). The demo experiments keep their planned
 * shares and effects; any other gets a share of its own and no effect, so an operator's file of
 * many experiments gets clients in each. When the shares add up to more than ENROLLED_AT_MOST
 * they shrink in proportion.
 */
export function defaultSampleExperiments(file: string = fileURLToPath(EXPERIMENTS_FILE)): SampleExperiment[] {
  const experiments: SampleExperiment[] = [];
  // Read with the one v8 schema; status does not matter here (a start date is what enrolls).
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ExperimentsFileError(file, `cannot read experiments file: ${(error as Error).message}`);
  }
  for (const e of parseExperimentsFile(file, text, new Date())) {
    if (e.startDate === null || e.appName !== 'firefox_desktop') continue;
    const population = POPULATION[e.slug] ?? OTHER_EXPERIMENT;
    const enrollmentDays =
      e.enrollmentEndDate === null
        ? Math.max(1, e.proposedEnrollment ?? 1)
        : daysBetween(e.startDate, e.enrollmentEndDate) + 1;
    experiments.push(
      SampleExperiment.parse({
        slug: e.slug,
        featureId: e.featureIds[0] ?? 'none',
        isRollout: e.isRollout,
        branches: e.branches,
        enrollmentStart: e.startDate,
        enrollmentDays,
        ...population,
      }),
    );
  }
  const total = experiments.reduce((sum, e) => sum + e.share, 0);
  if (total <= ENROLLED_AT_MOST) return experiments;
  return experiments.map((e) => ({ ...e, share: (e.share * ENROLLED_AT_MOST) / total }));
}

export { addDays };
