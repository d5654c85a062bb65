import { messageShape } from '../analysis/logs.js';
import { keptWarnings, type StatisticsSummary } from '../analysis/results.js';
import type { ErrorSubject } from '../errors.js';
import type { PreviewResult } from '../workflows/preview.js';

/**
 * A preview's (or one analysis's) errors and warnings as a config author reads them at its end: by config file,
 * then by key (with the metric, statistic and query it concerns), each distinct message once
 * with the dates or windows it happened on. The same facts are in the dataset's logs table,
 * one row per subject, for the dashboard.
 */

/** One error or warning of one date (or one window of it), about one subject. */
export interface RunIssue {
  level: 'ERROR' | 'WARNING';
  errorType: string;
  message: string;
  date: string;
  /** `period window` for a statistics warning; null for a failed date. */
  window: string | null;
  subject: ErrorSubject;
}

export interface IssueGroup {
  /** The config file, or null for issues no config item is known for. */
  file: string | null;
  places: {
    key: string | null;
    line: number | null;
    metric: string | null;
    statistic: string | null;
    /** The failed query, for an issue no config item is known for (else it varies by window and is in the logs). */
    query: string | null;
    issues: { level: RunIssue['level']; errorType: string; message: string; occurrences: string[] }[];
  }[];
}

/** Every error and warning a preview reports, one per subject (warnings as far as the summaries keep them). */
export function previewIssues(p: PreviewResult): RunIssue[] {
  const issues: RunIssue[] = [];
  for (const f of p.failed ?? []) {
    // The warehouse's storage failing is no config's fault: the report says it once, apart.
    if (f.date === p.storageStopped?.date) continue;
    const subjects = f.subjects?.length ? f.subjects : [{}];
    for (const subject of subjects) {
      issues.push({
        level: 'ERROR',
        // A step of several that failed together is reported as what it failed with.
        errorType: subject.errorType ?? f.errorType,
        message: subject.message ?? f.message,
        date: f.date,
        window: null,
        subject,
      });
    }
  }
  issues.push(...statisticsIssues(p.days));
  return issues;
}

/** The warnings of analysed dates' statistics, one per subject (as far as the summaries keep them). */
export function statisticsIssues(
  days: readonly { date: string; statistics: readonly StatisticsSummary[] }[],
): RunIssue[] {
  const issues: RunIssue[] = [];
  for (const day of days) {
    for (const s of day.statistics) {
      const window = `${s.period} ${s.windowIndex}`;
      for (const w of keptWarnings(s)) {
        for (const subject of w.subjects.length ? w.subjects : [{}]) {
          issues.push({
            level: w.exceptionType ? 'ERROR' : 'WARNING',
            errorType: w.exceptionType ?? 'StatisticWarning',
            message: subject.message ?? w.message,
            date: day.date,
            window,
            subject,
          });
        }
      }
    }
  }
  return issues;
}

const byText = (a: string | null, b: string | null) =>
  a === b ? 0 : a === null ? 1 : b === null ? -1 : a.localeCompare(b);

/**
 * Issues grouped by config file (files in name order, issues without one last), then by key
 * and what it concerns, each distinct message once with where it happened (errors first).
 */
export function groupIssues(issues: RunIssue[]): IssueGroup[] {
  const files = new Map<string | null, Map<string, IssueGroup['places'][number]>>();
  for (const issue of issues) {
    const s = issue.subject;
    const file = s.file ?? null;
    const place = {
      key: s.key ?? null,
      line: s.line ?? null,
      metric: s.metric ?? null,
      statistic: s.statistic ?? null,
      query: s.file || s.key ? null : (s.query ?? null),
    };
    const places = files.get(file) ?? new Map();
    files.set(file, places);
    const placeKey = JSON.stringify(place);
    const entry = places.get(placeKey) ?? { ...place, issues: [] };
    places.set(placeKey, entry);
    const occurrence = issue.window === null ? issue.date : `${issue.date} ${issue.window}`;
    const same = entry.issues.find(
      (i: IssueGroup['places'][number]['issues'][number]) =>
        i.level === issue.level && i.errorType === issue.errorType && i.message === issue.message,
    );
    if (same) {
      if (!same.occurrences.includes(occurrence)) same.occurrences.push(occurrence);
    } else {
      entry.issues.push({
        level: issue.level,
        errorType: issue.errorType,
        message: issue.message,
        occurrences: [occurrence],
      });
    }
  }
  return [...files]
    .sort(([a], [b]) => byText(a, b))
    .map(([file, places]) => ({
      file,
      places: [...places.values()]
        .sort(
          (a, b) =>
            byText(a.key, b.key) ||
            byText(a.metric, b.metric) ||
            byText(a.statistic, b.statistic) ||
            byText(a.query, b.query),
        )
        .map((p) => ({
          ...p,
          issues: p.issues
            .map((i) => ({ ...i, occurrences: i.occurrences.sort() }))
            .sort((a, b) => byText(a.level, b.level)),
        })),
    }));
}

/**
 * `N dates: …` or `N windows: …`: an occurrence is a date (a failed date) or `date period n` (a
 * statistics window's warning, or its error: a statistic that could not be computed).
 */
function count(occurrences: string[]): string {
  const n = occurrences.length;
  const windows = occurrences.every((o) => o.includes(' '));
  const unit = windows ? (n === 1 ? 'window' : 'windows') : n === 1 ? 'date' : 'dates';
  return `${n} ${unit}: ${listed(occurrences)}`;
}

/**
 * Where one problem happened, as a report says it after the problem: every place up to three,
 * else the first and the last (the rest are in between, in the order given).
 */
export function listed(places: readonly string[]): string {
  return places.length <= 3 ? places.join(', ') : `${places[0]} … ${places.at(-1)}`;
}

type PlacedIssue = IssueGroup['places'][number]['issues'][number];

/** Warnings of one kind (see `messageShape`) as the first of them and the others' count; errors each on their own. */
function kindsOf(issues: PlacedIssue[]): { first: PlacedIssue; more: number; occurrences: Set<string> }[] {
  const kinds = new Map<string, { first: PlacedIssue; more: number; occurrences: Set<string> }>();
  for (const [n, i] of issues.entries()) {
    const key = i.level === 'WARNING' ? `${i.errorType} ${messageShape(i.message)}` : `#${n}`;
    const kind = kinds.get(key);
    if (kind) {
      kind.more++;
      for (const o of i.occurrences) kind.occurrences.add(o);
    } else {
      kinds.set(key, { first: i, more: 0, occurrences: new Set(i.occurrences) });
    }
  }
  return [...kinds.values()];
}

/**
 * The grouped section printed at the end of a preview; nothing when there was nothing to report.
 * `logsTable` names where every warning is kept in full, for the line that counts the ones not printed.
 */
export function formatIssueGroups(groups: IssueGroup[], logsTable = 'the logs table'): string[] {
  if (groups.length === 0) return [];
  const lines = ['errors and warnings, by config file:'];
  for (const group of groups) {
    lines.push(`  ${group.file ?? '(no config file: about the run as a whole)'}`);
    for (const p of group.places) {
      const about = [
        p.metric !== null ? `metric ${p.metric}` : null,
        p.statistic !== null ? `statistic ${p.statistic}` : null,
        p.query !== null ? `query ${p.query}` : null,
      ].filter((s) => s !== null);
      const where = p.key === null ? '' : `${p.key}${p.line !== null ? ` (line ${p.line})` : ''}`;
      const head = [where, about.length ? `(${about.join(', ')})` : ''].filter(Boolean).join(' ');
      const indent = head ? '      ' : '    ';
      if (head) lines.push(`    ${head}`);
      for (const { first: i, more, occurrences } of kindsOf(p.issues)) {
        const [first, ...rest] = i.message.split('\n');
        lines.push(`${indent}${i.level} ${i.errorType}: ${first} [${count(i.occurrences)}]`);
        for (const line of rest) lines.push(`${indent}  ${line.trim()}`);
        if (more > 0) {
          const all = [...occurrences].sort();
          lines.push(
            `${indent}  and ${more} more like it with other values [${count(all)}]; each is in ${logsTable}`,
          );
        }
      }
    }
  }
  return lines;
}
