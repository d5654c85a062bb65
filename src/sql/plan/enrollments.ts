import type { SegmentDataSourceSpec, SegmentSpec } from '../../config/spec.js';
import { addDays } from '../../dates.js';
import { EXPOSURE_DATE_COLUMN, enrollmentsTableName } from '../names.js';
import { lastEnrollmentDate } from '../windows.js';
import {
  analysisUnitColumn,
  appDataset,
  assembleSql,
  experimentSlug,
  fillPlaceholders,
  fromExpression,
  indent,
  indentParts,
  joinParts,
  PlanError,
  provenanceHeader,
  type SqlPart,
  segmentColumns,
  segmentDataSourceFor,
  where,
} from './common.js';
import { exposureSignalQuery } from './exposure.js';
import type { PlanContext, PlannedQuery } from './types.js';

/**
 * `enrollments_<slug>`: one row per (analysis_id, branch) with enrollment_date,
 * num_enrollment_events, one boolean per segment, exposure_date and num_exposure_events —
 * mozanalysis `Experiment.build_enrollments_query` for the query types contrail supports.
 */

interface Dates {
  first: string;
  last: string;
}

function enrollmentDates(ctx: PlanContext): Dates {
  const start = ctx.spec.experiment.startDate;
  const last = lastEnrollmentDate(ctx.spec);
  if (start === null || last === null) {
    throw new PlanError(`experiment ${ctx.spec.experiment.slug} has no start date: nothing to enroll`);
  }
  return { first: start, last };
}

function requireClientUnit(ctx: PlanContext, queryType: string): void {
  if (ctx.spec.analysisUnit !== 'client') {
    throw new PlanError(
      `enrollment query type ${queryType} supports analysis_unit "client" only (got "${ctx.spec.analysisUnit}")`,
    );
  }
}

function sampleSize(ctx: PlanContext): number {
  // jetstream passes `sample_size or None`, then mozanalysis `sample_size or 100`: 0 means everyone.
  return ctx.spec.sampleSize || 100;
}

function normandyEnrollments(ctx: PlanContext, dates: Dates): string {
  const d = ctx.dialect;
  return `SELECT
    e.${analysisUnitColumn(ctx.spec)} AS analysis_id,
    ${d.mapGetKey('e.event_map_values', d.stringLiteral('branch'))} AS branch,
    MIN(e.submission_date) AS enrollment_date,
    COUNT(e.submission_date) AS num_enrollment_events
  FROM ${d.sharedTable('telemetry', 'events')} e
  WHERE e.event_category = 'normandy'
    AND e.event_method = 'enroll'
    AND e.submission_date BETWEEN ${d.dateLiteral(dates.first)} AND ${d.dateLiteral(dates.last)}
    AND e.event_string_value = ${d.stringLiteral(experimentSlug(ctx.spec))}
    AND e.sample_id < ${sampleSize(ctx)}
  GROUP BY 1, 2`;
}

function gleanEventEnrollments(ctx: PlanContext, dates: Dates, dataset: string): string {
  const d = ctx.dialect;
  const submissionDate = d.toDate('submission_timestamp');
  return `SELECT
    client_id AS analysis_id,
    ${d.jsonValue('event_extra', '$.branch')} AS branch,
    ${d.toDate('MIN(submission_timestamp)')} AS enrollment_date,
    COUNT(submission_timestamp) AS num_enrollment_events
  FROM ${d.sharedTable(dataset, 'events_stream')}
  WHERE client_id IS NOT NULL
    AND ${submissionDate} BETWEEN ${d.dateLiteral(dates.first)} AND ${d.dateLiteral(dates.last)}
    AND event_category = 'nimbus_events'
    AND ${d.jsonValue('event_extra', '$.experiment')} = ${d.stringLiteral(experimentSlug(ctx.spec))}
    AND event_name = 'enrollment'
    AND sample_id < ${sampleSize(ctx)}
  GROUP BY 1, 2`;
}

function fenixFallbackEnrollments(ctx: PlanContext, dates: Dates, dataset: string): string {
  const d = ctx.dialect;
  const branch = d.structField(
    d.mapGetKey('b.ping_info.experiments', d.stringLiteral(experimentSlug(ctx.spec))),
    'branch',
  );
  // Baseline pings carry the experiment on every ping: look a week before the start so clients
  // that enrolled earlier are recognised (and then dropped by the HAVING).
  return `SELECT
    b.client_info.client_id AS analysis_id,
    ${branch} AS branch,
    ${d.toDate('MIN(b.submission_timestamp)')} AS enrollment_date,
    COUNT(b.submission_date) AS num_enrollment_events
  FROM ${d.sharedTable(dataset, 'baseline')} b
  WHERE b.client_info.client_id IS NOT NULL
    AND ${d.toDate('b.submission_timestamp')} BETWEEN ${d.dateLiteral(addDays(dates.first, -7))} AND ${d.dateLiteral(dates.last)}
    AND ${branch} IS NOT NULL
    AND b.sample_id < ${sampleSize(ctx)}
  GROUP BY 1, 2
  HAVING ${d.toDate('MIN(b.submission_timestamp)')} >= ${d.dateLiteral(dates.first)}`;
}

function customEnrollments(ctx: PlanContext, sql: string): string {
  const unit = analysisUnitColumn(ctx.spec);
  const other = unit === 'client_id' ? 'profile_group_id' : 'client_id';
  // mozanalysis refuses a custom query naming the other unit's id column: it is almost always a copy-paste slip.
  if (sql.includes(other)) {
    throw new PlanError(
      `enrollment_query mentions ${other}, but the experiment's analysis unit uses ${unit}; select ${unit} AS analysis_id`,
      ctx.spec.enrollmentQueryProvenance,
    );
  }
  // The enrollments read analysis_id from the query (mozanalysis's column since analysis units;
  // older configs select client_id). A query that never names it, nor selects `*`, cannot have
  // it: said here, not as the warehouse's "no column analysis_id" in a query the author never wrote.
  if (!/\banalysis_id\b/i.test(sql) && !sql.includes('*')) {
    throw new PlanError(
      `enrollment_query selects no analysis_id column: the enrollments read analysis_id, branch, enrollment_date and num_enrollment_events from it; select ${unit} AS analysis_id`,
      ctx.spec.enrollmentQueryProvenance,
    );
  }
  return ctx.dialect.userSql(
    fillPlaceholders(sql, { experiment_slug: experimentSlug(ctx.spec) }, { braces: false }),
  );
}

/** Default exposure events, joined to raw_enrollments: on or after enrollment, during enrollment. */
function defaultExposures(ctx: PlanContext, dates: Dates): string {
  const d = ctx.dialect;
  const slug = d.stringLiteral(experimentSlug(ctx.spec));
  const range = `BETWEEN ${d.dateLiteral(dates.first)} AND ${d.dateLiteral(dates.last)}`;
  let events: string;
  if (ctx.spec.enrollmentsQueryType === 'normandy') {
    events = `SELECT
        ${analysisUnitColumn(ctx.spec)} AS analysis_id,
        ${d.mapGetKey('event_map_values', d.stringLiteral('branchSlug'))} AS branch,
        submission_date
      FROM ${d.sharedTable('telemetry', 'events')}
      WHERE event_category = 'normandy'
        AND (event_method = 'exposure' OR event_method = 'expose')
        AND submission_date ${range}
        AND event_string_value = ${slug}`;
  } else {
    // glean-event and fenix-fallback: Glean's exposure events.
    requireClientUnit(ctx, ctx.spec.enrollmentsQueryType);
    events = `SELECT
        client_id AS analysis_id,
        ${d.jsonValue('event_extra', '$.branch')} AS branch,
        ${d.toDate('submission_timestamp')} AS submission_date
      FROM ${d.sharedTable(appDataset(ctx.spec), 'events_stream')}
      WHERE ${d.toDate('submission_timestamp')} ${range}
        AND event_category = 'nimbus_events'
        AND ${d.jsonValue('event_extra', '$.experiment')} = ${slug}
        AND (event_name = 'expose' OR event_name = 'exposure')`;
  }
  // Grouped on the event side, as mozanalysis does: clients without exposures fall out here and
  // get NULL exposure_date / num_exposure_events from the outer LEFT JOIN.
  return `SELECT
    x.analysis_id,
    x.branch,
    MIN(x.submission_date) AS exposure_date,
    COUNT(x.submission_date) AS num_exposure_events
  FROM raw_enrollments re
  JOIN (
      ${events}
  ) x
    ON re.analysis_id = x.analysis_id AND re.branch = x.branch AND x.submission_date >= re.enrollment_date
  GROUP BY 1, 2`;
}

/**
 * One segment data source's segments per enrolled client. Each segment's expression and the
 * data source's FROM are traced to their config items, so a warehouse error pointing into them
 * (a table the warehouse lacks, a column a segment misspells) names the item to edit.
 */
function segmentsQuery(
  ctx: PlanContext,
  source: SegmentDataSourceSpec,
  segments: SegmentSpec[],
  dates: Dates,
): SqlPart[] {
  const d = ctx.dialect;
  const submissionDate = `ds.${d.userSql(source.submissionDateColumn)}`;
  const from = fromExpression(ctx, source, appDataset(ctx.spec));
  const columns: SqlPart[] = segments.map((s) => ({
    text: `${d.userSql(s.selectExpression)} AS ${s.name}`,
    column: s.name,
    provenance: s.provenance,
  }));
  return [
    `SELECT
    e.analysis_id,
    e.branch,
    `,
    ...joinParts(columns, ',\n    '),
    `
  FROM raw_enrollments e
  LEFT JOIN `,
    { text: from, column: null, provenance: source.provenance, partial: true },
    ` ds
    ON ds.${d.userSql(source.clientIdColumn)} = e.analysis_id
    AND ${submissionDate} BETWEEN ${d.dateLiteral(addDays(dates.first, source.windowStart))} AND ${d.dateLiteral(addDays(dates.last, source.windowEnd))}
    AND ${submissionDate} BETWEEN ${d.addDays('e.enrollment_date', source.windowStart)} AND ${d.addDays('e.enrollment_date', source.windowEnd)}
  GROUP BY e.analysis_id, e.branch`,
  ];
}

export function planEnrollments(ctx: PlanContext): PlannedQuery {
  const { spec } = ctx;
  const dates = enrollmentDates(ctx);
  const segmentNames = segmentColumns(spec);
  const type = spec.enrollmentsQueryType;
  let raw: string;
  if (spec.enrollmentQuery !== null) raw = customEnrollments(ctx, spec.enrollmentQuery);
  else if (type === 'normandy') raw = normandyEnrollments(ctx, dates);
  else if (type === 'glean-event') {
    requireClientUnit(ctx, type);
    raw = gleanEventEnrollments(ctx, dates, appDataset(spec));
  } else {
    requireClientUnit(ctx, type);
    raw = fenixFallbackEnrollments(
      ctx,
      dates,
      spec.experiment.appId ? appDataset(spec) : 'org_mozilla_firefox',
    );
  }

  // The exposure signal computes exposure_date from its data source.
  const exposures: SqlPart[] = spec.exposureSignal
    ? exposureSignalQuery(ctx, spec.exposureSignal, { startOffset: 0, endOffset: 0 }, 'raw_enrollments', {
        column: EXPOSURE_DATE_COLUMN,
        partial: false,
      })
    : [defaultExposures(ctx, dates)];

  // Segments grouped by segment data source: each source is read once for all its segments.
  const bySource = new Map<string, SegmentSpec[]>();
  for (const segment of spec.segments) {
    const list = bySource.get(segment.dataSource) ?? [];
    list.push(segment);
    bySource.set(segment.dataSource, list);
  }
  const joins: SqlPart[][] = [];
  const segmentSelect: string[] = [];
  let i = 0;
  for (const [sourceName, segments] of bySource) {
    const source = segmentDataSourceFor(
      ctx,
      sourceName,
      `segment ${segments[0]!.name} (${where(segments[0]!.provenance)})`,
    );
    joins.push([
      'LEFT JOIN (\n',
      ...indentParts(segmentsQuery(ctx, source, segments, dates), 4),
      `\n  ) sg_${i} USING (analysis_id, branch)`,
    ]);
    for (const s of segments) segmentSelect.push(`sg_${i}.${s.name}`);
    i++;
  }

  const destination = { dataset: ctx.dataset, table: enrollmentsTableName(spec.experiment.slug) };
  const columns = [
    ...spec.segments.map((s) => ({ name: s.name, provenance: s.provenance })),
    ...(spec.exposureSignal
      ? [{ name: EXPOSURE_DATE_COLUMN, provenance: spec.exposureSignal.provenance }]
      : []),
  ];
  const header = provenanceHeader({
    spec,
    title: `enrollments (${spec.enrollmentQuery !== null ? 'custom enrollment_query' : type}, ${spec.sampleSize ? `sample ${spec.sampleSize}%` : 'all clients'}) ${dates.first}..${dates.last}`,
    columns,
  });
  const segmentedColumns = [
    're.analysis_id',
    're.branch',
    're.enrollment_date',
    're.num_enrollment_events',
    ...segmentSelect,
  ];
  // A custom enrollment_query is written in as raw_enrollments: a warehouse error on its lines
  // (or one that names no line) is about it, not about the segments or the exposure signal.
  const custom = spec.enrollmentQuery !== null ? spec.enrollmentQueryProvenance : null;
  const rawText = indent(raw, 2);
  // The query's own lines, without the blank lines it may end with.
  const rawLines = rawText.replace(/\n+$/, '');
  const { sql, references } = assembleSql([
    `${header}WITH raw_enrollments AS (
`,
    custom ? { text: rawLines, column: null, provenance: custom } : rawLines,
    `${rawText.slice(rawLines.length)}
),
segmented_enrollments AS (
  SELECT
    ${segmentedColumns.join(',\n    ')}
  FROM raw_enrollments re
  `,
    ...joins.flatMap((join, j) => (j === 0 ? join : ['\n  ', ...join])),
    `
),
exposures AS (
`,
    ...indentParts(exposures, 2),
    `
)
SELECT
  se.analysis_id,
  se.branch,
  se.enrollment_date,
  se.num_enrollment_events,${segmentNames.map((s) => `\n  se.${s},`).join('')}
  x.exposure_date,
  x.num_exposure_events
FROM segmented_enrollments se
LEFT JOIN exposures x ON x.analysis_id = se.analysis_id AND x.branch = se.branch
`,
  ]);
  return {
    kind: 'enrollments',
    destination,
    sql,
    metrics: columns,
    ...(references.length > 0 ? { references } : {}),
  };
}
