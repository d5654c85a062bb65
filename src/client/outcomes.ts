/*
 * What the CLI says about a finished workflow (an `Outcome`, report.ts), in one place for the
 * commands that start them and for `contrail status`: the report for people, and how many units
 * of work (experiments, experiment-days, dates) failed. Any failure makes the command exit 1. A
 * preview's report, the longest, is in preview-report.ts, and a run stopped by its warehouse's
 * storage is said by storage-stop.ts. The rest is one module, longer than most, because the
 * reports of the daily run, a backfill and a rerun share how their failures are grouped, their
 * pins and waits are said, and how far an interrupted one had got: apart, they would drift.
 */

import type { z } from 'zod';
import type { VersionsReportRow, WaitingRun } from '../activities/types.js';
import { isPublishFailure } from '../analysis/results.js';
import { plural } from '../plural.js';
import { formatVersionsReport } from '../versions/report.js';
import type { AnalysisResult } from '../workflows/analysis-result.js';
import type { BackfillResult } from '../workflows/backfill.js';
import type { Progress } from '../workflows/common.js';
import type { DailyAnalysisResult } from '../workflows/daily.js';
import { isPublication } from '../workflows/ids.js';
import {
  AnalyzeExperimentInput,
  BackfillInput,
  DailyAnalysisInput,
  PreviewInput,
  RerunInput,
  RerunSkipInput,
  VersionsReportInput,
} from '../workflows/inputs.js';
import type { WorkflowName } from '../workflows/registered.js';
import type { RerunResult } from '../workflows/rerun.js';
import type { RerunSkipResult } from '../workflows/rerun-skip.js';
import { formatIssueGroups, groupIssues, statisticsIssues } from './error-groups.js';
import { formatHeadline, formatPin, formatStatisticsTable } from './format.js';
import { describeWarningCounts, unlistedIssues } from './issue-counts.js';
import { describePreview } from './preview-report.js';
import type { Outcome, ReportContext } from './report.js';
import { storageStop } from './storage-stop.js';

export type AnalysisWorkflow = keyof typeof workflowKinds;

interface WorkflowKind {
  /** The workflow's input schema: inputs are compared after its defaults are filled in. */
  input: z.ZodType;
  outcome: (result: never, context: ReportContext) => Outcome;
}

export function describeAnalysis(r: AnalysisResult): Outcome {
  if (r.status === 'nothing-due')
    return { report: `${r.slug} ${r.date}: nothing due (${r.reason ?? 'no window completes'})`, failed: 0 };
  const lines = [`${r.slug} ${r.date}: analysed with ${formatPin(r.pin)}`];
  if (r.enrollments)
    lines.push(
      `  ${r.enrollments.table}: ${plural(r.enrollments.rows, 'client')}${r.enrollments.created ? '' : ' (kept)'}`,
    );
  for (const s of r.statistics) lines.push(`  ${formatStatisticsTable(s)}`, ...formatHeadline(s));
  // What could not be computed, and why, under the config key to fix, as a preview ends.
  lines.push(...formatIssueGroups(groupIssues(statisticsIssues([r]))));
  const unlisted = unlistedIssues(r.statistics);
  if (unlisted !== null) lines.push(`  and ${unlisted}, not listed here: each is in the logs table`);
  return { report: lines.join('\n'), failed: 0 };
}

/** `, N with nothing due` when some were, else nothing: a summary counts what was computed apart from what had nothing to compute. */
const nothingDuePart = (n: number) => (n > 0 ? `, ${n} with nothing due` : '');

/** Up to this many experiments analysed fine, the daily report lists them; beyond, it counts them (all with --verbose). */
const OK_LISTED = 5;

/**
 * The daily run's report: what failed first, grouped as a backfill's failures are (a broken
 * shared definition is one line), then how many were fine; those are listed one by one only
 * when few, or with --verbose, so a fleet's failures are not lost among its successes.
 */
export function describeDaily(d: DailyAnalysisResult, options: ReportContext = {}): Outcome {
  const nothingDue = d.analyzed.filter((a) => a.status === 'nothing-due').length;
  const listOk = options.verbose === true || d.analyzed.length <= OK_LISTED;
  const stopped = d.storageStopped;
  const stop = stopped
    ? storageStop({
        run: `daily analysis ${d.date}`,
        on: stopped.slug,
        storage: stopped.storage,
        failed: d.failed,
        first: d.failed.find((f) => f.slug === stopped.slug),
        unit: 'experiment',
        notAttempted: stopped.notAttempted.length,
        named: namedSlugs(stopped.notAttempted),
        published: {
          said: 'the experiments that finished are published, the others keep the results they had',
          short: 'they keep the results they had',
        },
      })
    : null;
  return {
    report: [
      `daily analysis ${d.date}: ${d.analyzed.length - nothingDue} analysed${nothingDuePart(nothingDue)}, ${d.failed.length} failed${stopped ? `, ${stopped.notAttempted.length} not attempted` : ''}`,
      ...groupedFailures(
        (stop ? d.failed.filter((f) => !stop.onStorage(f)) : d.failed).map((f) => ({ ...f, date: d.date })),
        false,
      ),
      ...(stop?.lines ?? []),
      ...(listOk
        ? d.analyzed.map((a) => {
            const what =
              a.status === 'nothing-due'
                ? `nothing due${a.reason ? `: ${a.reason}` : ''}`
                : `${a.status}, ${plural(a.statisticsTables, 'statistics table')}`;
            return `  ok    ${a.slug} (${what}; contrail ${a.toolVersion})`;
          })
        : [`  ok    ${plural(d.analyzed.length, 'experiment')} (--verbose lists them)`]),
      ...d.reran.map((r) => `  rerun ${r.slug}: its config changed (${r.changed.join(', ')})`),
      ...describeWarningCounts(
        d.analyzed.map((a) => [a.slug, a.warnings] as const),
        d.dataset,
      ),
      ...describeWaits(d.waited),
    ].join('\n'),
    failed: d.failed.length,
    ...(stop ? { failure: stop.failure } : {}),
  };
}

/**
 * Failures of several dates with the same error, said once with their dates (an unknown
 * experiment fails every date of a backfill alike), in the order they first appear.
 */
function groupedFailures(
  failed: readonly { slug?: string; date: string; errorType: string; message: string }[],
  /** false when every failure is of the one date the report's first line names (the daily run's). */
  dated = true,
): string[] {
  const groups = new Map<
    string,
    { slug: string | null; what: string; first: string; dates: string[]; varied: boolean }
  >();
  for (const f of failed) {
    // A broken metric fails each date in that date's own window and table ("day window 4 →
    // …_day_4", then 5, then 6): the same failure, said once, as its first date saw it.
    const key = JSON.stringify([f.slug ?? null, f.errorType, f.message.replace(/\d+/g, '#')]);
    const what = `${f.errorType}: ${f.message}`;
    const group = groups.get(key) ?? { slug: f.slug ?? null, what, first: f.date, dates: [], varied: false };
    if (what !== group.what) group.varied = true;
    if (f.date < group.first) Object.assign(group, { what, first: f.date });
    group.dates.push(f.date);
    groups.set(key, group);
  }
  // Then experiments failing alike on the same dates (a broken shared definition fails them
  // all): one line, the experiment's own slug in the message said as <experiment>.
  const alike = new Map<string, { slugs: string[]; when: string; what: string; slug: string | null }>();
  for (const { slug, what, dates, varied } of groups.values()) {
    dates.sort();
    const when = !dated
      ? ''
      : dates.length === 1
        ? ` ${dates[0]}`
        : ` ${dates[0]} … ${dates.at(-1)} (${dates.length} dates${varied ? `, as on ${dates[0]}: the others differ only in numbers` : ''})`;
    const general = slug === null ? what : what.replace(slugPattern(slug), '<experiment>');
    const key = JSON.stringify([slug === null ? `unnamed ${alike.size}` : 'named', when, general]);
    const group = alike.get(key) ?? { slugs: [], when, what: general, slug };
    if (slug !== null) group.slugs.push(slug);
    alike.set(key, group);
  }
  return [...alike.values()].flatMap(({ slugs, when, what, slug }) => {
    if (slugs.length > NAMED_ALIKE)
      return [`  FAIL  ${slugs.length} experiments (${namedSlugs(slugs)})${when}: ${what}`];
    if (slugs.length === 0) return [`  FAIL ${when}: ${what}`];
    return slugs.map(
      (s) => `  FAIL  ${s}${when}: ${slug === null ? what : what.replaceAll('<experiment>', s)}`,
    );
  });
}

/** A slug as a word of its own in a message (not inside a longer slug or word). */
function slugPattern(slug: string): RegExp {
  return new RegExp(`(?<![\\w-])${slug.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`, 'g');
}

/** Experiments failing alike named one by one; beyond that many, one line for all of them. */
const NAMED_ALIKE = 3;

/** `a, b, c and 4 more`: experiments named up to NAMED_ALIKE, the rest counted. */
function namedSlugs(slugs: readonly string[]): string {
  if (slugs.length <= NAMED_ALIKE) return slugs.join(', ');
  return `${slugs.slice(0, NAMED_ALIKE).join(', ')} and ${slugs.length - NAMED_ALIKE} more`;
}

/** Experiments named one by one on a line of pins; beyond that many, the rest are counted. */
const PINNED_NAMED = 3;

/**
 * The tooling and configs a backfill's experiments ran on: a line per experiment, or, where
 * more than a few ran on the same ones (a fleet mostly does), one line for all of them.
 */
function pinLines(pins: [string, BackfillResult['pins'][string]][]): string[] {
  const groups = new Map<string, string[]>();
  for (const [slug, p] of pins) {
    const on = `contrail ${p.toolVersion}, config ${p.configCommit ?? 'working tree'}`;
    groups.set(on, [...(groups.get(on) ?? []), slug]);
  }
  return [...groups.entries()].flatMap(([on, slugs]) =>
    slugs.length <= PINNED_NAMED
      ? slugs.map((slug) => `  ${slug}: ${on}`)
      : [
          `  ${slugs.length} experiments (${slugs.slice(0, PINNED_NAMED).join(', ')} and ${slugs.length - PINNED_NAMED} more): ${on}`,
        ],
  );
}

/** The dates of each experiment a backfill did not start an analysis of: outside the experiment's own. */
function outsideLines(outside: BackfillResult['outside']): string[] {
  return Object.entries(outside ?? {}).map(([slug, { days, dates }]) => {
    const why = dates.skip
      ? 'its config says skip = true'
      : dates.startDate === null
        ? 'it has no start date (not launched)'
        : `outside ${dates.firstDueDate} … ${dates.endDate ?? '(no end date)'}, its last enrollment date to its end date`;
    return `  ${slug}: ${plural(days, 'date')} with nothing due, not analysed: ${why}`;
  });
}

/**
 * A backfill's or rerun's failures split into those of experiment-days and those of publishing
 * (listed with them): a failed publication is no day of its own, and counted as one the totals
 * would not add up.
 */
function failedDaysAndPublications(failed: { message: string }[]): { days: number; publications: number } {
  const publications = failed.filter(isPublishFailure).length;
  return { days: failed.length - publications, publications };
}

const publicationsPart = (n: number) => (n > 0 ? `; ${plural(n, 'publication')} failed` : '');

export function describeBackfill(b: BackfillResult): Outcome {
  // An experiment none of whose days could even find it ran on no tooling: no pin to show.
  const unknown = new Set(
    Object.keys(b.pins).filter((slug) => {
      const own = b.failed.filter((f) => f.slug === slug);
      return own.length > 0 && own.every((f) => f.errorType === 'UnknownExperimentError');
    }),
  );
  const failed = failedDaysAndPublications(b.failed);
  const stopped = b.storageStopped;
  const stop = stopped
    ? storageStop({
        run: 'backfill',
        on: `${stopped.slug} ${stopped.date}`,
        storage: stopped.storage,
        failed: b.failed,
        first: b.failed.find((f) => f.slug === stopped.slug && f.date === stopped.date),
        unit: 'experiment-day',
        notAttempted: stopped.notAttempted,
        published: {
          said: 'nothing published, the published tables are as they were',
          short: 'nothing published',
        },
      })
    : null;
  return {
    report: [
      `${plural(b.total, 'experiment-day')}: ${b.analyzed} analysed, ${b.nothingDue} with nothing due, ${failed.days} failed${publicationsPart(failed.publications)}${stopped ? `, ${stopped.notAttempted} not attempted` : ''}`,
      ...pinLines(Object.entries(b.pins).filter(([slug]) => !unknown.has(slug))),
      ...outsideLines(b.outside),
      ...groupedFailures(stop ? b.failed.filter((f) => !stop.onStorage(f)) : b.failed),
      ...(stop?.lines ?? []),
      ...describeWarningCounts(Object.entries(b.warnings ?? {}), b.dataset),
      ...describeWaits(b.waited),
    ].join('\n'),
    failed: b.failed.length,
    ...(stop ? { failure: stop.failure } : {}),
  };
}

export function describeRerun(x: RerunResult): Outcome {
  const failed = failedDaysAndPublications(x.failed);
  const stopped = x.storageStopped;
  const stop = stopped
    ? storageStop({
        run: `rerun of ${x.slug}`,
        on: stopped.date,
        storage: stopped.storage,
        failed: x.failed,
        first: x.failed.find((f) => f.date === stopped.date),
        unit: 'date',
        notAttempted: stopped.notAttempted,
        published: rerunStopLeft(x, stopped),
      })
    : null;
  const notAttempted = stopped?.notAttempted ?? 0;
  // Stopped, the rerun put the anchor back: the experiment is pinned as it was, not to what the rerun ran on.
  const pinned = stopped && stopped.anchor !== 'moved' ? 'ran on' : 'pinned to';
  return {
    report: [
      `rerun of ${x.slug}: ${rerunTablesPart(x)}; ${x.analyzed}/${plural(x.dates, 'date')} analysed${nothingDuePart(x.dates - x.analyzed - failed.days - notAttempted)}, ${failed.days} failed${publicationsPart(failed.publications)}${stopped ? `, ${notAttempted} not attempted` : ''}`,
      `  ${pinned} ${formatPin(x.pin)}${x.anchor && x.anchor !== x.pin.anchor ? `, anchor ${x.anchor}` : ''}`,
      ...groupedFailures(stop ? x.failed.filter((f) => !stop.onStorage(f)) : x.failed),
      ...(stop?.lines ?? []),
      ...describeWarningCounts([[x.slug, x.warnings]], undefined),
    ].join('\n'),
    failed: x.failed.length,
    ...(stop ? { failure: stop.failure } : {}),
  };
}

/**
 * What a rerun did to the experiment's tables: how many its publication wrote (each replacing
 * the earlier one of its name) and how many earlier ones it dropped (those its configs no longer
 * make, or all of them first with --recreate_enrollments). A rerun of an older build listed the
 * replaced tables with the dropped ones, and views with tables: said as it counted them.
 */
function rerunTablesPart(x: RerunResult): string {
  if (x.published === undefined) return `dropped or replaced ${plural(x.dropped.length, 'table')}`;
  const { tables, views } = x.published;
  const published =
    tables + views === 0
      ? 'published nothing'
      : `published ${plural(tables, 'table')} and ${plural(views, 'view')}`;
  return `${published}, dropped ${plural(x.dropped.length, 'earlier table or view', 'earlier tables and views')}`;
}

/** What a rerun stopped on the warehouse's storage left: it publishes nothing, and puts the anchor back if it can. */
function rerunStopLeft(
  x: RerunResult,
  stopped: NonNullable<RerunResult['storageStopped']>,
): { said: string; short: string } {
  const anchor =
    stopped.anchor === 'moved'
      ? `; its anchor could not be put back (the same error): until a rerun finishes, its analyses run on ${formatPin(x.pin)}`
      : stopped.anchor === 'restored'
        ? ', its anchor is as it was'
        : '';
  return stopped.recreated
    ? {
        said: `nothing published: the experiment has no results until a rerun finishes (--recreate_enrollments dropped them first)${anchor}`,
        short: 'nothing published (--recreate_enrollments dropped the results first)',
      }
    : {
        said: `nothing published, the published results are as they were${anchor}`,
        short: 'nothing published',
      };
}

export function describeRerunSkip(x: RerunSkipResult): Outcome {
  return {
    report: [
      `rerun-skip of ${x.slug}: anchor moved to ${x.anchor} on ${plural(x.tables.length, 'table')}, nothing recomputed`,
      `  next analyses: ${formatPin(x.pin)}`,
    ].join('\n'),
    failed: 0,
  };
}

/**
 * The releases, after a line saying whose pins they count: only the experiments the daily run
 * analyses on one date are pinned, so an experiment that ended or has not started is not
 * listed, and a reader must know which date that was and how to ask about another.
 */
export function describeVersionsReport(rows: VersionsReportRow[], options: ReportContext = {}): Outcome {
  const pinned = rows.reduce((n, row) => n + row.pinned.length, 0);
  const counted =
    options.eligibleOn === undefined
      ? []
      : [
          `pinned: ${plural(pinned, 'experiment')} the daily run analyses on ${options.eligibleOn} (--date YYYY-MM-DD counts another date's)`,
        ];
  return {
    report: ['contrail releases, newest first:', ...formatVersionsReport(rows), ...counted].join('\n'),
    failed: 0,
  };
}

/** `waited … for a worker of contrail 0.1.0+v1 since …`: runs that waited for their pinned build. */
export function describeWaits(waited: readonly WaitingRun[]): string[] {
  return waited.map(
    (w) =>
      `  waited ${w.slug}${w.date ? ` ${w.date}` : ''}: for a worker of contrail ${w.toolVersion ?? 'the current version'} since ${w.since}`,
  );
}

const workflowKinds = {
  analyzeExperiment: { input: AnalyzeExperimentInput, outcome: describeAnalysis },
  dailyAnalysis: { input: DailyAnalysisInput, outcome: describeDaily },
  backfill: { input: BackfillInput, outcome: describeBackfill },
  rerun: { input: RerunInput, outcome: describeRerun },
  preview: { input: PreviewInput, outcome: describePreview },
  rerunSkip: { input: RerunSkipInput, outcome: describeRerunSkip },
  versionsReport: { input: VersionsReportInput, outcome: describeVersionsReport },
} satisfies { [W in WorkflowName]?: WorkflowKind };

/**
 * What a workflow cancelled part way (Ctrl-C on an embedded command) leaves of the published
 * results, said after what was cancelled. A preview says more: it returns what it finished.
 */
export function leftByInterrupt(type: AnalysisWorkflow, input: unknown): string | null {
  switch (type) {
    case 'dailyAnalysis':
      return 'the experiments that had finished are published; the others keep the results they had';
    case 'backfill': {
      // `contrail run` of given experiments is a one-day backfill: said as what was run.
      const dates = input as { startDate?: string; endDate?: string } | null;
      const what =
        dates?.startDate !== undefined && dates.startDate === dates.endDate ? 'the run' : 'a backfill';
      return `${what} publishes at its end: unless it was publishing, the published results are as they were`;
    }
    case 'rerun':
      return (input as { recreateEnrollments?: boolean } | null)?.recreateEnrollments
        ? 'the experiment has no results until a rerun finishes (--recreate_enrollments dropped them first)'
        : 'unless it was publishing, the published results are as they were';
    case 'analyzeExperiment':
      return 'unless it was publishing, the published results are as they were';
    default:
      return null;
  }
}

/** `analysing, 2 of 4 done (1 failed)`: how far a run had got (what ran is named as cancelled). */
export function reachedLine(p: Progress): string {
  if (p.total === 0) return p.stage;
  return `${p.stage}, ${p.done} of ${p.total} done${p.failed ? ` (${p.failed} failed)` : ''}`;
}

/**
 * `<head> while analysing, 2 of 4 done: cancelled <ids>; <what that leaves>`: what a
 * cancellation did, said alike by an embedded command's Ctrl-C and by `contrail cancel`: how far
 * the work had got, what was cancelled and what that leaves of the published results.
 */
export function cancelledLine(
  head: string,
  reached: Progress | null,
  cancelled: readonly string[],
  left: string | null,
  /** Runs it had started that ended of themselves before the cancellation reached them. */
  finishedFirst: readonly string[] = [],
): string {
  // A publication under way when the cancellation came runs to its end: said, lest "unless it
  // was publishing" leave a reader to wonder whether its tables are part new, part old.
  const inFull = finishedFirst.some(isPublication)
    ? ': publishing, once begun, runs to its end, so every table of it is published'
    : '';
  const first = finishedFirst.length > 0 ? ` (${finishedFirst.join(', ')} finished first${inFull})` : '';
  const what = cancelled.length > 0 ? `cancelled ${cancelled.join(', ')}${first}` : 'nothing was running';
  const leaves = cancelled.length > 0 && left ? `; ${left}` : '';
  const at = reached ? ` while ${reachedLine(reached)}` : '';
  return `${head}${at}: ${what}${leaves}`;
}

export function isAnalysisWorkflow(type: string): type is AnalysisWorkflow {
  return Object.hasOwn(workflowKinds, type);
}

/** The report on a result of workflow type `type`. */
export function outcomeOf(type: AnalysisWorkflow, result: unknown, context: ReportContext = {}): Outcome {
  return (workflowKinds[type].outcome as (r: unknown, c: ReportContext) => Outcome)(result, context);
}

/** Fields that change how fast the work runs, not what it writes. */
const SPEED_ONLY = new Set(['concurrency', 'continueAsNewAfter']);

/**
 * The fields in which two inputs of one workflow type would produce different results, as
 * `field: theirs vs ours`. Both are read through the workflow's schema first, so an input
 * that spells out a default equals one that leaves it out.
 */
export function inputDifferences(type: AnalysisWorkflow, theirs: unknown, ours: unknown): string[] {
  const schema = workflowKinds[type].input;
  const parse = (v: unknown): Record<string, unknown> | null => {
    const parsed = schema.safeParse(v ?? {});
    if (!parsed.success) return null;
    const data = { ...(parsed.data as Record<string, unknown>) };
    // A backfill's experiments are a set: its id lists them sorted.
    if (Array.isArray(data.slugs)) data.slugs = [...(data.slugs as string[])].sort();
    return data;
  };
  const a = parse(theirs);
  const b = parse(ours);
  if (a === null || b === null) return ['input: not comparable'];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !SPEED_ONLY.has(k)).sort();
  const show = (v: unknown) => {
    const text = JSON.stringify(v) ?? 'undefined';
    return text.length > 40 ? `${text.slice(0, 37)}…` : text;
  };
  return keys
    .filter((k) => canonical(a[k]) !== canonical(b[k]))
    .map((k) => `${k}: ${show(a[k])} there, ${show(b[k])} here`);
}

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y)),
        )
      : v,
  );
}
