import { contrailCommand } from '../command-name.js';
import { ContrailError, type ErrorSubject } from '../errors.js';
import { plural } from '../plural.js';
import {
  aboutUsd,
  BILLED_MINIMUM_BYTES,
  billedText,
  formatBytes,
  formatUsd,
  labelOf,
  scannedDiffers,
} from '../warehouse/cost.js';
import type { CostEstimate, QueryEstimate } from './cost.js';

/*
 * What a preview's cost estimate (cost.ts) says to its author, and the refusals it leads to
 * before anything runs: over --max-bytes, or queries the warehouse refused.
 */

/** What a query would be billed; an estimate made before the minimums were counted has only its bytes. */
export const billedOf = (q: QueryEstimate): number | null => (q.billed === undefined ? q.bytes : q.billed);

/** What the preview would be billed, as `--max_bytes` is compared with it. */
export const totalBilledOf = (estimate: CostEstimate): number =>
  estimate.totalBilledBytes ?? estimate.totalBytes;

/** The largest queries first (ties by table name), for messages. */
function biggestQueries(estimate: CostEstimate, count: number): QueryEstimate[] {
  return [...estimate.queries]
    .sort((a, b) => (billedOf(b) ?? 0) - (billedOf(a) ?? 0) || a.table.localeCompare(b.table))
    .slice(0, count);
}

/** A query's bytes billed, and scanned where they read differently. */
const bytesOf = (q: QueryEstimate): string => {
  const billed = billedOf(q);
  return billed === null || q.bytes === null ? 'unknown' : billedText(billed, q.bytes);
};

const describeQuery = (q: QueryEstimate) => `${q.table} (${q.date}): ${bytesOf(q)}`;

/**
 * A preview estimated to be billed more than `--max-bytes`, refused before any query runs. The
 * limit is on what BigQuery would bill, not on what the queries scan: it is a budget, and what
 * is paid is what is billed (BigQuery's own `maximum_bytes_billed` guard counts the same), so a
 * preview of many small queries, each billed its 10 MB, is refused for what it costs.
 */
export class PreviewTooExpensiveError extends ContrailError {
  constructor(estimate: CostEstimate, maxBytes: number) {
    const biggest = biggestQueries(estimate, 3);
    // The enrollments (or population) query runs once whatever is previewed: when it alone is
    // over the limit, fewer days or periods cannot bring the preview under it.
    const enrollments = estimate.queries.find((q) => q.kind === 'enrollments');
    const fixed = ((enrollments && billedOf(enrollments)) ?? 0) > maxBytes;
    const total = totalBilledOf(estimate);
    super(
      `the preview would be billed ${formatBytes(total)} (${labelOf(estimate.method)}), more than --max_bytes ${formatBytes(maxBytes)}; ` +
        `biggest queries: ${biggest.map(describeQuery).join('; ')}. ` +
        (fixed
          ? `The enrollments query alone is over it, however few days or periods are previewed: raise --max_bytes `
          : 'Preview fewer days (--num_days) or periods (--analysis_periods), or raise --max_bytes ') +
        '(a smaller --sample_size does not help: BigQuery bills the whole columns a query reads)',
      {
        permanent: true,
        details: {
          totalBytes: estimate.totalBytes,
          totalBilledBytes: total,
          maxBytes,
          biggest: biggest.map((q) => q.table),
        },
      },
    );
    this.name = 'PreviewTooExpensiveError';
  }
}

/**
 * A preview on BigQuery whose dry run rejected queries. BigQuery's dry run validates a query
 * exactly as its run would, so those queries would fail: running the others first would create
 * the dataset and pay for their scans only to fail at the end. Refused before anything is
 * created or billed, with what each rejected query is about (config file, key and line) and
 * BigQuery's message, the same message for several dates said once.
 */
export class PreviewQueriesRejectedError extends ContrailError {
  /**
   * `warehouse`: whose refusal this is. BigQuery's dry run (the default), or the embedded
   * warehouse refusing the enrollments query, which every previewed date reads (checkRejected).
   */
  constructor(rejected: QueryEstimate[], warehouse: 'bigquery' | 'embedded' = 'bigquery') {
    // By config file, then config item, then what BigQuery said: the tables and dates it said it for.
    const groups = new Map<string, Map<string, Map<string, string[]>>>();
    const subjects: ErrorSubject[] = [];
    // A scan reads the enrollments query written in for their table: rejected for the same
    // reason as that query, it says nothing of its own (and would be blamed on its data source).
    const enrollments = rejected.find((q) => q.kind === 'enrollments');
    const own = enrollments
      ? rejected.filter((q) => q === enrollments || q.rejected !== enrollments.rejected)
      : rejected;
    const withEnrollments = rejected.length - own.length;
    for (const q of own) {
      const about = q.subjects?.length ? q.subjects : [{ message: q.rejected ?? null }];
      for (const s of about) {
        subjects.push({ ...s, query: q.table });
        const file = s.file ?? '(no config file)';
        const item =
          (s.key ? `${s.key}${s.line ? ` (line ${s.line})` : ''}` : `query ${q.table}`) +
          (s.metric ? ` (metric ${s.metric})` : '');
        const message = s.message ?? q.rejected ?? 'rejected';
        const byItem = groups.get(file) ?? new Map<string, Map<string, string[]>>();
        groups.set(file, byItem);
        const byMessage = byItem.get(item) ?? new Map<string, string[]>();
        byItem.set(item, byMessage);
        const where = `${q.table} on ${q.date}`;
        const seen = byMessage.get(message) ?? [];
        if (!seen.includes(where)) seen.push(where);
        byMessage.set(message, seen);
      }
    }
    const lines = [
      warehouse === 'bigquery'
        ? `BigQuery's dry run rejected ${own.length} of the preview's queries` +
          ' (a run of it would fail), so the preview stops before running any: no dataset or table was created, nothing was billed'
        : `the warehouse refused the preview's enrollments query${own.length > 1 ? ` (and ${plural(own.length - 1, 'other query', 'other queries')})` : ''}: every previewed date reads the enrollments, so each would fail; the preview stops before running any, and an earlier preview's tables are as they were`,
    ];
    for (const [file, byItem] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`  ${file}`);
      for (const [item, byMessage] of byItem) {
        lines.push(`    ${item}`);
        for (const [message, where] of byMessage) lines.push(`      ERROR ${message} [${where.join(', ')}]`);
      }
    }
    if (withEnrollments > 0) {
      lines.push(
        `  (${plural(withEnrollments, 'metrics scan reads', 'metrics scans read')} the enrollments and failed with them: checked once the enrollments query passes)`,
      );
    }
    lines.push(
      warehouse === 'bigquery'
        ? `Fix the config and preview again (\`${contrailCommand()} validate <config file> --dry_run\` checks every query of the experiment)`
        : `Fix the config and preview again (\`${contrailCommand()} validate <config file>\` checks every query of the experiment)`,
    );
    super(lines.join('\n'), {
      permanent: true,
      details: { rejected: rejected.map((q) => ({ table: q.table, date: q.date })), subjects },
    });
    this.name = 'PreviewQueriesRejectedError';
  }
}

/**
 * Refuses an estimate whose queries BigQuery's dry run rejected. The embedded warehouse's
 * estimate is only DuckDB's plan over the local tables, and running there costs nothing: its
 * preview goes on, and reports each failed query with the run's other errors. Unless the
 * warehouse refused the enrollments query (a segment's or the enrollment query's SQL, a table
 * one of their data sources reads that the warehouse lacks, or a generated population's): every
 * date reads it, so nothing of the preview could run, and going on would only drop the earlier
 * preview's tables before failing as a whole, with no date's errors to report.
 */
export function checkRejected(estimate: CostEstimate): void {
  const rejected = estimate.queries.filter((q) => q.rejected !== undefined);
  if (rejected.length === 0) return;
  if (estimate.method === 'dry_run') throw new PreviewQueriesRejectedError(rejected);
  if (rejected.some((q) => q.kind === 'enrollments'))
    throw new PreviewQueriesRejectedError(rejected, 'embedded');
}

/** Refuses an estimate billed above `maxBytes` (null: no limit). */
export function checkMaxBytes(estimate: CostEstimate, maxBytes: number | null): void {
  if (maxBytes !== null && totalBilledOf(estimate) > maxBytes)
    throw new PreviewTooExpensiveError(estimate, maxBytes);
}

/**
 * The estimate as people read it: one line per query, then the total in bytes and dollars. Bytes
 * are what BigQuery would bill (at least 10 MB a query and a table it reads), with what the
 * query scans beside them where the two differ.
 */
export function describeEstimate(estimate: CostEstimate): string[] {
  const lines = [`cost before running (${labelOf(estimate.method)}):`];
  for (const q of estimate.queries) {
    lines.push(
      `  ${q.date}  ${q.table}  ${bytesOf(q)}${q.rejected ? ` (not estimated: ${q.rejected})` : ''}`,
    );
  }
  // The preview's own tables do not exist yet: what the scans read of the enrollments table is
  // named, not estimated, and so are the queries that read nothing else, unless the estimate
  // counts them at BigQuery's minimum (one made since it does has `totalBilledBytes`).
  // A query the warehouse refused has no size: counted in the total as nothing, the total would
  // claim to cover it ("0 B in 6 queries" when every query was refused).
  const refused = estimate.queries.filter((q) => q.bytes === null).length;
  const ownCounted = estimate.totalBilledBytes !== undefined && estimate.ownTableQueries > 0;
  const own = [
    ...(refused > 0
      ? [
          `${plural(refused, 'query', 'queries')} above the warehouse refused (${refused === 1 ? 'it fails' : 'they fail'} when run)`,
        ]
      : []),
    ...(estimate.queries.some((q) => q.kind === 'metrics_scan')
      ? ['the enrollments table the scans read']
      : []),
    ...(estimate.ownTableQueries > 0 && !ownCounted
      ? [
          `${plural(estimate.ownTableQueries, 'more query', 'more queries')} that read only the preview's own tables`,
        ]
      : []),
  ];
  const estimated = estimate.queries.length - refused;
  const billed = totalBilledOf(estimate);
  const ownText = ownCounted
    ? ` and ${estimate.ownTableQueries} that read only the preview's own tables (${formatBytes(BILLED_MINIMUM_BYTES)} each, the least BigQuery bills)`
    : '';
  // What the queries scan, beside the bill where the minimums raised it (as billedText).
  const scanned = scannedDiffers(billed, estimate.totalBytes)
    ? ` (${formatBytes(estimate.totalBytes)} scanned)`
    : '';
  const total =
    estimated === 0 && refused > 0
      ? 'total unknown'
      : `total ${formatBytes(billed)} billed in ${plural(estimated, 'query', 'queries')}${scanned}${ownText}, ${aboutUsd(estimate.totalUsd)} at ${formatUsd(estimate.usdPerTib)}/TiB on demand`;
  const last = own.length > 1 ? `, and ${own.at(-1)}` : '';
  lines.push(
    `  ${total}${own.length > 0 ? `; not estimated: ${own.slice(0, own.length > 1 ? -1 : 1).join(', ')}${last}` : ''}`,
  );
  return lines;
}
