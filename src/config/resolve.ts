import type { IsoDate } from '../dates.js';
import type { Experiment } from '../experiments/experiment.js';
import { didYouMean } from '../suggest.js';
import type { ConfigCollection } from './collection.js';
import { customConfig } from './custom-config.js';
import { mergeFile } from './merge.js';
import type { ConfigProblem } from './problems.js';
import { NO_FILE, Resolution } from './resolve/context.js';
import { DataSources } from './resolve/data-sources.js';
import {
  analysisUnit,
  applyExperimentOverrides,
  enrollmentPeriod,
  externalConfig,
} from './resolve/experiment.js';
import { resolveExposureSignal } from './resolve/exposure-signal.js';
import { Metrics } from './resolve/metrics.js';
import { mergeOutcomes } from './resolve/outcomes.js';
import { parameterValues } from './resolve/parameters.js';
import { resolveSegments } from './resolve/segments.js';
import { AnalysisSpec, PlannedEnrollmentsQueryType } from './spec.js';

export interface ResolveOptions {
  /** A custom experiment config (a path, or TOML text) used instead of the repo's `jetstream/<slug>.toml`. */
  configFile?: string;
  /** Unknown keys become warnings instead of errors (old configs still run). */
  lenient?: boolean;
  /** The analysis date the spec is for; recorded on the spec. */
  asOfDate?: IsoDate;
}

export interface ResolvedSpec {
  spec: AnalysisSpec;
  warnings: ConfigProblem[];
}

/**
 * Resolves one experiment's analysis as jetstream would: platform defaults, then the
 * experiment's own config (the repo's, or `configFile`), then its outcomes (their metrics go
 * to the weekly and overall lists); every metric, data source and segment name looked up in
 * the experiment's own definitions first, then the platform's shared definitions (with the
 * jetstream overlay's statistics); templates rendered. Every problem found is reported at
 * once, as a ConfigError. Each step lives in `resolve/`; this is their order.
 *
 * jetstream also merges `defaults/<experiment type>.toml`; contrail's experiments are all
 * Nimbus (jetstream's type "v6") and no metric-hub has `defaults/v6.toml`, so that step is left out.
 */
export function resolveAnalysisSpec(
  collection: ConfigCollection,
  experiment: Experiment,
  options: ResolveOptions = {},
): ResolvedSpec {
  const r = new Resolution(collection, experiment, options.lenient ?? false);
  const { platform, problems } = r;
  if (!collection.platforms().includes(platform)) {
    r.error(
      NO_FILE,
      `no definitions for platform '${platform}'${didYouMean(platform, collection.platforms())}; platforms: ${collection.platforms().join(', ') || 'none (the config repos hold no definitions/<platform>.toml)'}`,
    );
    problems.throwIfErrors();
  }
  for (const file of collection.platformFiles(platform)) r.use(file);
  const own =
    options.configFile !== undefined
      ? [customConfig(options.configFile, experiment.slug)]
      : collection.experimentFiles(experiment.slug);
  for (const file of own) {
    r.use(file);
    mergeFile(r.layer, file);
  }
  // A file's own errors (a wrong type, bad TOML) leave its definitions unusable, and resolving
  // them would only echo those errors. An unknown key (an error in strict mode) or a parameter
  // value a statistic refuses leaves them whole: the rest is resolved and reported with it, so
  // the author fixes everything in one round.
  if (r.sources.some((file) => file.errors.length > 0))
    problems.throwIfErrors(`experiment '${experiment.slug}' has an invalid config:`);

  applyExperimentOverrides(r);
  mergeOutcomes(r);
  const parameters = parameterValues(r);
  r.parameterValues = parameters.values;
  r.parameterBranches = parameters.byBranch;
  const spec = assemble(r, experiment, options.asOfDate ?? null);
  const invalid = r.sources.some((file) => file.parameterErrors.length > 0);
  problems.throwIfErrors(
    invalid
      ? `experiment '${experiment.slug}' has an invalid config:`
      : `experiment '${experiment.slug}' (${platform}) cannot be resolved:`,
  );
  return { spec: AnalysisSpec.parse(spec), warnings: problems.warnings };
}

/** The spec from the merged layers, in the order its parts are resolved (and their problems listed). */
function assemble(r: Resolution, experimenter: Experiment, asOfDate: IsoDate | null): AnalysisSpec {
  const dataSources = new DataSources(r);
  const metrics = new Metrics(r, dataSources).byPeriod();
  const e = r.layer.experiment?.def ?? {};
  const enrollmentQuery =
    e.enrollment_query === undefined
      ? null
      : r.render(e.enrollment_query, r.experimentField('enrollment_query'), {
          experiment: r.experimentContext,
        });
  const { segments, segmentDataSources } = resolveSegments(r);
  // Before the used data sources are collected: the signal's data source may be one no metric reads.
  const exposureSignal = resolveExposureSignal(r, dataSources);
  const usedDataSources = dataSources.resolved();
  return {
    experiment: r.experiment,
    enrollmentPeriod: enrollmentPeriod(r),
    enrollmentSetBy: (['start_date', 'enrollment_period'] as const).flatMap((key) =>
      e[key] === undefined ? [] : [r.experimentField(key)],
    ),
    enrollmentPeriodConfigured: e.enrollment_period !== undefined,
    enrollmentsQueryType: enrollmentsQueryType(r),
    enrollmentQuery,
    enrollmentQueryProvenance: enrollmentQuery === null ? null : r.experimentField('enrollment_query'),
    sampleSize: e.sample_size ?? null,
    analysisUnit: analysisUnit(r),
    exposureSignal,
    segments,
    segmentDataSources,
    dataSources: usedDataSources,
    metrics,
    skip: e.skip ?? false,
    externalConfig: externalConfig(experimenter, r),
    sources: r.sources.map((f) => f.file),
    configCommit: r.collection.commit,
    asOfDate,
  };
}

/**
 * The enrollment query type: the config's, else the platform's default (jetstream's). The two
 * metric-config-parser names that contrail does not plan are refused here, at their key, rather
 * than taken for a typo: cirrus (web apps' enrollments), whose semantics are unsettled upstream,
 * where jetstream keeps its one cirrus platform disabled; and background-update (Firefox's
 * background update task, which enrolls in tables of its own and is measured by its own client
 * id), which an enrollment_query can express.
 */
function enrollmentsQueryType(r: Resolution): AnalysisSpec['enrollmentsQueryType'] {
  const configured = r.layer.experiment?.def.enrollments_query_type;
  if (configured === undefined) return defaultQueryType(r.platform);
  if (configured !== 'cirrus' && configured !== 'background-update') return configured;
  const why =
    configured === 'cirrus'
      ? 'jetstream keeps its cirrus platform disabled too'
      : "its enrollments are the background update task's own (firefox_desktop_background_update), keyed by its background_update_client_id; write them as an enrollment_query selecting analysis_id, branch, enrollment_date and num_enrollment_events";
  r.error(
    r.experimentField('enrollments_query_type'),
    `enrollments_query_type '${configured}' is not supported by contrail (${why}); supported: ${PlannedEnrollmentsQueryType.options.join(', ')} (without the key: the platform's default)`,
  );
  // Never planned: the error above stops the resolution.
  return defaultQueryType(r.platform);
}

/** The built-in enrollment query per platform when the config names none (jetstream's defaults). */
function defaultQueryType(platform: string): AnalysisSpec['enrollmentsQueryType'] {
  if (platform === 'firefox_desktop') return 'normandy';
  return 'glean-event';
}
