import type { AnalysisSpec, DataSourceSpec } from '../../config/spec.js';
import type { IsoDate } from '../../dates.js';
import { lastEnrollmentDate } from '../windows.js';
import { appDataset, experimentSlug, PlanError } from './common.js';
import { planEnrollments } from './enrollments.js';
import type { PlanContext, PlannedQuery } from './types.js';

/**
 * jetstream preview's `--generate-population`: instead of real enrollments, a random sample of
 * the platform's clients "enrolls" (on its first active day between the experiment's start and
 * its last enrollment date, capped at `date`) into a branch chosen by a hash of client id and
 * slug, in proportion to the branch ratios. Written in BigQuery SQL as a custom enrollment query,
 * so the dialect renders it and segments and exposures are added exactly as for real enrollments.
 */

// Hash buckets: fine enough that ratios like 1:1:98 keep their proportions.
const BUCKETS = 10_000;

/** Telemetry with one row per active client per day and a sample_id, per platform. */
function clientsDailyTable(spec: AnalysisSpec): string {
  if (spec.experiment.appName === 'firefox_desktop') {
    return '`moz-fx-data-shared-prod.telemetry.clients_daily`';
  }
  return `\`moz-fx-data-shared-prod.${appDataset(spec)}.baseline_clients_daily\``;
}

function sqlString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/**
 * The spec as a generated population is analysed: its clients enrolled in nothing, so no data
 * source row carries the experiment. Read for it, a data source's experiments column would keep
 * none of a client's enrollment day (on a real enrollment day only rows that carry the
 * experiment count, the rest were sent before the client enrolled), leaving every metric of the
 * first day window 0, and flag every client as having non-enrolled data. A generated client
 * "enrolls" on its first active day, with nothing before it to leave out: all of that day counts,
 * as it does for real enrollments on a data source without an experiments column. jetstream's
 * preview does the same (experiments_column_type "none" on every data source it reads).
 */
export function asGeneratedPopulation(spec: AnalysisSpec): AnalysisSpec {
  const dataSources: Record<string, DataSourceSpec> = {};
  for (const [name, ds] of Object.entries(spec.dataSources)) {
    dataSources[name] = { ...ds, experimentsColumnType: 'none' };
  }
  return { ...spec, dataSources };
}

export interface PopulationOptions {
  /** Analysis date: nobody enrolls after it. */
  date: IsoDate;
  /** Percent of clients (sample_id < sampleSize); jetstream's population sample size. */
  sampleSize: number;
}

export function planPopulationSample(ctx: PlanContext, options: PopulationOptions): PlannedQuery {
  const { spec } = ctx;
  const slug = experimentSlug(spec);
  const start = spec.experiment.startDate;
  const last = lastEnrollmentDate(spec);
  if (start === null || last === null) {
    throw new PlanError(`experiment ${slug} has no start date: set start_date in the config to preview it`);
  }
  if (options.date < start) {
    // Only a start_date in the config can put it there: the preview moves a record's start itself.
    throw new PlanError(
      `experiment ${slug} starts ${start}, after the population date ${options.date}: the start_date of its config stands; without it the preview takes the experiment as enrolled up to its first date`,
    );
  }
  if (!(Number.isInteger(options.sampleSize) && options.sampleSize >= 1 && options.sampleSize <= 100)) {
    throw new PlanError(`population sample size must be a whole percent 1–100, got ${options.sampleSize}`);
  }
  const branches = spec.experiment.branches.filter((b) => b.ratio > 0);
  const total = branches.reduce((s, b) => s + b.ratio, 0);
  if (branches.length === 0 || total <= 0) {
    throw new PlanError(`experiment ${slug} has no branch with a positive ratio`);
  }
  let cumulative = 0;
  const cases = branches.map((b, i) => {
    cumulative += b.ratio;
    const bound = i === branches.length - 1 ? BUCKETS : Math.round((cumulative / total) * BUCKETS);
    return `WHEN bucket < ${bound} THEN ${sqlString(b.slug)}`;
  });
  // biome-ignore lint/complexity/useMathMinMax: ISO date strings compare as text, not as numbers
  const until = options.date < last ? options.date : last;
  // MOD(MOD(h, n) + n, n): a non-negative bucket without ABS, which overflows on INT64's minimum.
  const enrollmentQuery = `SELECT
  analysis_id,
  CASE ${cases.join(' ')} END AS branch,
  enrollment_date,
  num_enrollment_events
FROM (
  SELECT
    client_id AS analysis_id,
    MOD(MOD(FARM_FINGERPRINT(CONCAT(${sqlString(`${slug}:`)}, client_id)), ${BUCKETS}) + ${BUCKETS}, ${BUCKETS}) AS bucket,
    MIN(submission_date) AS enrollment_date,
    COUNT(*) AS num_enrollment_events
  FROM ${clientsDailyTable(spec)}
  WHERE submission_date BETWEEN DATE ${sqlString(start)} AND DATE ${sqlString(until)}
    AND sample_id < ${options.sampleSize}
    AND client_id IS NOT NULL
  GROUP BY client_id
)`;
  // Contrail's query, not the config's enrollment_query: an error in it names no config item.
  const planned = planEnrollments({
    ...ctx,
    spec: { ...spec, analysisUnit: 'client', enrollmentQuery, enrollmentQueryProvenance: null },
  });
  // The line written above the query moves every traced fragment (a segment's) one line down.
  const references = planned.references?.map((r) => ({
    ...r,
    lines: { start: r.lines.start + 1, end: r.lines.end + 1 },
  }));
  return {
    ...planned,
    sql: `-- contrail: population sample (preview --generate_population)\n${planned.sql}`,
    ...(references ? { references } : {}),
  };
}
