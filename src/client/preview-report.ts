import { resolve } from 'node:path';
import { describeEstimate } from '../analysis/cost-report.js';
import { LOGS_TABLE } from '../analysis/logs.js';
import { describeQueryCosts } from '../analysis/query-costs.js';
import { contrailCommand } from '../command-name.js';
import { dashboardUrl } from '../dashboard/url.js';
import { addDays } from '../dates.js';
import { plural } from '../plural.js';
import { shellWord } from '../shell-words.js';
import { labelOf } from '../warehouse/cost.js';
import type { PreviewResult } from '../workflows/preview.js';
import type { DashboardNote } from './dashboard-note.js';
import { formatIssueGroups, groupIssues, previewIssues } from './error-groups.js';
import { formatHeadline, formatPin, formatStatisticsTable } from './format.js';
import type { Outcome, ReportContext } from './report.js';
import { previewStorageStop } from './storage-stop.js';

/** What the CLI says about a finished preview (see outcomes.ts for the other workflows). */

/**
 * Whether the preview's tables are in BigQuery: its estimate was a dry run, which only BigQuery
 * does. Told by the result, because the worker that ran it picked the warehouse, and on a
 * cluster the client's own CONTRAIL_WAREHOUSE need not name it.
 */
export function previewOnBigQuery(p: Pick<PreviewResult, 'costs'>): boolean {
  return p.costs?.estimate.method === 'dry_run';
}

/**
 * Whether the dashboard has anything of this preview to show: the statistics tables it wrote, or
 * the errors of the dates that failed. One that wrote neither (nothing due on any date, enrollments
 * only, stopped before a date finished) would send its reader to a page of no results; so would
 * the date the warehouse's storage failed on, whose error could not be logged there either.
 */
export function dashboardShowsPreview(p: Pick<PreviewResult, 'days' | 'failed' | 'storageStopped'>): boolean {
  return (
    p.days.some((day) => day.statistics.length > 0) ||
    (p.failed ?? []).some((f) => f.date !== p.storageStopped?.date)
  );
}

/**
 * The dashboard's page of this preview, which its report ends with: on the running dashboard's
 * port (`context.dashboardPort`), else on the port `contrail dashboard` takes by default. Null
 * when the dashboard shows nothing of it: a link to a page of no results would only send its
 * reader looking.
 */
export function previewDashboardUrl(
  p: Pick<PreviewResult, 'dataset' | 'slug' | 'days' | 'failed' | 'storageStopped'>,
  context: Pick<ReportContext, 'dashboardPort'> = {},
): string | null {
  if (!dashboardShowsPreview(p)) return null;
  return dashboardUrl({
    ...(context.dashboardPort ? { port: context.dashboardPort } : {}),
    dataset: p.dataset,
    experiment: p.slug,
  });
}

export function describePreview(p: PreviewResult, context: ReportContext = {}): Outcome {
  const lines = [
    `preview of ${p.slug}, ${p.startDate} … ${p.endDate}, ${p.sampleSize}% sample, dataset ${p.dataset} (tables expire)`,
    `  ${formatPin(p.pin)}`,
  ];
  if (p.assumed) {
    const own = p.assumed.ownStartDate;
    const why =
      own === null
        ? 'has no start date (not launched)'
        : own > p.startDate
          ? `starts ${own}`
          : `is still enrolling on ${p.startDate}`;
    const end = p.assumed.endDateSetAside;
    lines.push(
      `  ${p.slug} ${why}: the generated population enrolled ${p.assumed.startDate} … ${p.startDate}, its enrollment period up to the first previewed date, as in jetstream's preview` +
        (end ? `; its end date ${end}, before that, is set aside` : ''),
    );
  }
  // Consecutive dates with nothing due for the same reason are one line.
  type Idle = { first: string; last: string; reason: string };
  // Typed through a cast: the closures below change it, which narrowing from `null` would not see.
  let idle = null as Idle | null;
  const flushIdle = () => {
    if (idle === null) return;
    const when = idle.first === idle.last ? idle.first : `${idle.first} … ${idle.last}`;
    lines.push(`  ${when}: nothing due (${idle.reason})`);
    idle = null;
  };
  for (const day of p.days) {
    if (day.status === 'nothing-due') {
      const reason = day.reason ?? 'no window completes';
      if (idle?.reason === reason) idle.last = day.date;
      else {
        flushIdle();
        idle = { first: day.date, last: day.date, reason };
      }
      continue;
    }
    flushIdle();
    if (day.statistics.length === 0) {
      lines.push(
        `  ${day.date}: enrollments only (no window of the previewed periods completes on this date)`,
      );
      continue;
    }
    for (const s of day.statistics) lines.push(`  ${day.date}: ${formatStatisticsTable(s)}`);
  }
  flushIdle();
  const noneDue = p.days.length > 0 && p.days.every((day) => day.status === 'nothing-due');
  if (noneDue && p.skip) {
    // No date or option changes that: jetstream analyses nothing of such an experiment either.
    lines.push(
      `  nothing was due on any previewed date: the config of ${p.slug} says skip = true; remove skip from its [experiment] section to preview it`,
    );
  } else if (noneDue) {
    lines.push(
      '  nothing was due on any previewed date: give an --end_date on which a window completes' +
        (p.generatedPopulation
          ? ''
          : ', or --generate_population to preview an experiment not launched or still enrolling as if it had enrolled up to the first previewed date'),
    );
  }
  // Dates with enrollments only, and none with a window: the periods' first windows complete
  // later (for days28, maybe never before the experiment ends), which these dates cannot change.
  const noWindow =
    p.days.length > 0 &&
    p.days.every((day) => day.statistics.length === 0) &&
    !p.interrupted &&
    (p.failed ?? []).length === 0;
  if (!noneDue && noWindow) {
    lines.push(
      '  no window of the previewed periods completed on any previewed date: give an --end_date on which one completes, or other --analysis_periods',
    );
  }
  const tables = p.days.flatMap((day) => day.statistics);
  const gap = p.costs?.estimate.noTelemetry;
  // With no telemetry on the dates, that is why nobody is enrolled: said below, and only that.
  // A window nobody was enrolled in holds only its branches' counts of 0 (older summaries: no rows).
  const nobodyIn = (s: (typeof tables)[number]) =>
    s.enrolled === undefined ? s.rows === 0 : s.enrolled === 0;
  if (!gap && tables.length > 0 && tables.every(nobodyIn)) lines.push(`  ${noResults(p)}`);
  if (gap) {
    const sources = gap.dataSources.join(', ');
    lines.push(
      `  no telemetry: the data sources read (${sources}) have no row on ${gap.first} … ${gap.last}, the dates these windows read, so every result is empty; ` +
        (gap.held
          ? telemetryHeld(p, gap.held)
          : `they hold no rows at all: run \`${contrailCommand()} sample\`, or set CONTRAIL_HOME to a directory whose warehouse holds your tables`),
    );
  }
  // The headline of the latest window of each period.
  const latest = new Map<string, PreviewResult['days'][number]['statistics'][number]>();
  for (const s of tables) latest.set(s.period, s);
  for (const s of latest.values()) {
    const headline = formatHeadline(s);
    if (headline.length > 0) lines.push(`  ${s.table}:`, ...headline);
  }
  if (p.views.length) lines.push(`  views: ${p.views.join(', ')}`);
  if (p.costs) {
    lines.push(...describeQueryCosts(p.costs.queries, p.interrupted?.date, p.storageStopped?.date));
    const total = describeEstimate(p.costs.estimate).at(-1);
    if (total) lines.push(`estimated before running (${labelOf(p.costs.estimate.method)}):`, total);
  }
  const failed = p.failed ?? [];
  const stopped = p.interrupted ? 1 + p.interrupted.notRun.length : (p.storageStopped?.notRun.length ?? 0);
  const failedOn = `${failed.length} of ${plural(p.days.length + failed.length + stopped, 'date')}`;
  if (failed.length > 0) lines.push(`FAILED on ${failedOn}: ${failed.map((f) => f.date).join(', ')}`);
  const interrupted = p.interrupted ? interruption(p, p.interrupted) : undefined;
  if (interrupted) lines.push(interrupted.toUpperCase().slice(0, 1) + interrupted.slice(1));
  const storage = p.storageStopped ? previewStorageStop(p, p.storageStopped) : undefined;
  if (storage) lines.push(...storage.lines);
  // Last, so a config author reads what to fix without scrolling: every error once, under its file and key.
  lines.push(...formatIssueGroups(groupIssues(previewIssues(p)), `${p.dataset}.${LOGS_TABLE}`));
  if (context.exportDir) lines.push(`JSON exports: ${context.exportDir}`);
  // Then where to see what the preview wrote, when the dashboard shows any of it.
  const url = previewDashboardUrl(p, context);
  if (url !== null) lines.push(`dashboard: ${url}`);
  return {
    report: lines.join('\n'),
    failed: failed.length,
    failure:
      storage?.failure ??
      `preview of ${p.slug} failed on ${failedOn} (${failed.map((f) => f.date).join(', ')}): the errors are listed in its report, under their config files`,
    ...(interrupted ? { interrupted: `preview of ${p.slug} ${interrupted}` } : {}),
  };
}

/**
 * What to preview instead when the data sources hold other dates than the previewed ones. Other
 * preview dates do, unless the experiment's enrollment lies outside the telemetry too: its
 * clients enrolled on dates with no rows, so no window has any, and a later --end_date is past
 * the end of an experiment whose dates are over (nothing due). Then the dates to change are the
 * experiment's own, named where the config sets them. A generated population that was given an
 * enrollment up to the first previewed date moves with that date: other dates do it.
 */
function telemetryHeld(p: PreviewResult, held: { first: string; last: string }): string {
  const they = `they hold ${held.first} … ${held.last}`;
  const e = p.enrollment;
  const outside = e !== undefined && !p.assumed && (e.last < held.first || e.first > held.last);
  if (!outside) return `${they}: preview dates they cover, e.g. --end_date ${held.last}`;
  const dates = e.first === e.last ? e.first : `${e.first} … ${e.last}`;
  const where = e.setBy.map((k) => `${k.line === null ? k.file : `${k.file}:${k.line}`} ${k.key}`);
  const setBy = where.length > 0 ? ` (set by ${where.join(' and ')})` : '';
  const fix =
    where.length > 0
      ? `move the config's [experiment] start_date (and its end_date) into ${held.first} … ${held.last}`
      : `give the config an [experiment] start_date (and end_date) in ${held.first} … ${held.last}`;
  return `${they}, and ${p.slug} enrolled ${dates}${setBy}, outside them: no --end_date brings its clients into this telemetry; to preview the config on it, ${fix}`;
}

/**
 * Why a preview whose telemetry covers its dates has no results: nobody of its sample enrolled
 * on the enrollment dates it analysed. When the config's start_date or enrollment_period set
 * those, they are the likelier cause than the sample's size, and are named where they are written.
 */
function noResults(p: PreviewResult): string {
  const nobody = `no results: no client of the ${p.sampleSize}% sample is enrolled in ${p.slug}`;
  const sampleHint =
    'try a larger --sample_size or other dates, or --generate_population for an experiment that has not run yet';
  const e = p.enrollment;
  if (!e) return `${nobody} on these dates; ${sampleHint}`;
  const dates = e.first === e.last ? e.first : `${e.first} … ${e.last}`;
  if (e.setBy.length === 0) return `${nobody} on its enrollment dates, ${dates}; ${sampleHint}`;
  const where = e.setBy.map((k) => `${k.line === null ? k.file : `${k.file}:${k.line}`} ${k.key}`);
  const own = e.own ? ` (the experiment's own: ${e.own.first} … ${e.own.last})` : '';
  return (
    `${nobody} on ${dates}, the enrollment dates set by ${where.join(' and ')}${own}: ` +
    `if its clients enrolled on other dates, correct ${e.setBy.length === 1 ? 'that key' : 'those keys'}; else try a larger --sample_size`
  );
}

/** What an interrupted preview did and did not do, date by date: one sentence. */
function interruption(p: PreviewResult, stop: NonNullable<PreviewResult['interrupted']>): string {
  const finished = [...p.days.map((d) => d.date), ...(p.failed ?? []).map((f) => f.date)].sort();
  if (stop.notStarted) {
    // The date before was publishing when interrupted: publishing runs to its end, so that
    // date's results are all published (never some tables new and others old or missing).
    const published = p.days.find((d) => d.date === addDays(stop.date, -1))?.date;
    return [
      `interrupted: ${finished.join(', ')} finished${published ? ` (${published} was publishing, which runs to its end: its results are published in full)` : ''}`,
      `not run: ${[stop.date, ...stop.notRun].join(', ')}`,
    ].join('; ');
  }
  return [
    `interrupted: ${finished.length > 0 ? `${finished.join(', ')} finished` : 'no date finished'}`,
    `${stop.date} stopped part way (what it had not published dropped)`,
    // Stopped on its last date, every date is said above: "not run: none" only made one read on.
    ...(stop.notRun.length > 0 ? [`not run: ${stop.notRun.join(', ')}`] : []),
  ].join('; ');
}

/**
 * What the end of a preview says of the dashboard beside the URL in its report, if anything:
 * how to start it when none runs, or how to restart the running one to show the SQL just
 * written. Nothing when the report printed no URL, or when something unnoted listens on the
 * dashboard's port (an older build's), unless the preview wrote to a BigQuery this shell does not name.
 * Said on stderr, after the report on stdout; so the hint names the page to open itself rather
 * than pointing "above" at it: with stdout piped or the streams in separate files, the report's
 * last line is nowhere above.
 */
export function dashboardHint(h: {
  /** The dashboard URL the report printed (previewDashboardUrl), null when it printed none. */
  url: string | null;
  sqlOutputDir?: string;
  running: DashboardNote | null;
  defaultPortFree: boolean;
  /** The preview ran on BigQuery and this shell's settings do not name it. */
  settingsNeeded: boolean;
}): string | null {
  if (h.url === null) return null;
  const sql = h.sqlOutputDir ? ` --sql_output_dir ${shellWord(h.sqlOutputDir)}` : '';
  if (h.running) {
    if (h.sqlOutputDir && !h.running.sqlDirs.includes(resolve(h.sqlOutputDir))) {
      return `the dashboard running on port ${h.running.port} (pid ${h.running.pid}) does not show the SQL in ${h.sqlOutputDir}: restart it with \`${contrailCommand()} dashboard --port ${h.running.port}${sql}\``;
    }
    return null;
  }
  // Whatever listens there then reads another warehouse than the one this preview wrote to.
  if (!h.defaultPortFree && !h.settingsNeeded) return null;
  const settings = h.settingsNeeded
    ? "CONTRAIL_WAREHOUSE=bigquery CONTRAIL_BIGQUERY_PROJECT=<the workers' project> "
    : '';
  return `the dashboard is not running: start it with \`${settings}${contrailCommand()} dashboard${sql}\` (in another terminal) and open ${h.url}`;
}
