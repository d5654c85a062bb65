/**
 * What a query costs on BigQuery's on-demand pricing: the bytes it is billed × the price per TiB.
 * jetstream's `validate` thresholds are in TB of scanned data; this turns the same dry-run
 * bytes into what BigQuery bills, and that into dollars for people.
 */

import type { CostEstimateMethod } from './warehouse.js';

/** BigQuery on-demand price in US dollars per TiB billed (US multi-region, list price). */
export const ON_DEMAND_USD_PER_TIB = 6.25;

const TIB = 2 ** 40;
const MIB = 2 ** 20;

/**
 * The least BigQuery's on-demand pricing bills a query, and each table it references: 10 MB,
 * of 2^20 bytes (a query over a tiny table that runs under a lower `maximum_bytes_billed`
 * fails saying "10485760 or higher required").
 */
export const BILLED_MINIMUM_BYTES = 10 * MIB;

/**
 * The bytes BigQuery's on-demand pricing bills for a query that scans `bytesProcessed` over
 * `referencedTables` tables: rounded up to the MB, at least 10 MB for the query and 10 MB for
 * each table it references. A dry run reports what the query scans, not this: a preview of
 * many small queries would be estimated well below what it costs.
 *
 * With only the query's total and the number of tables known (not each table's share), this
 * is a lower bound: each table's own bytes are raised to its 10 MB, so a query scanning 30 MB
 * of one table and 1 KB of another is billed 40 MB, counted here as 30.
 *
 * A query that scans nothing (a count answered from table metadata, a partition filter that
 * leaves no partition) is billed nothing: the minimums apply to queries that process data.
 */
export function billedBytes(bytesProcessed: number, referencedTables: number): number {
  if (!(Number.isFinite(bytesProcessed) && bytesProcessed >= 0)) {
    throw new RangeError(`bytes processed must be a non-negative number, got ${bytesProcessed}`);
  }
  if (!(Number.isInteger(referencedTables) && referencedTables >= 0)) {
    throw new RangeError(`referenced tables must be a non-negative whole number, got ${referencedTables}`);
  }
  if (bytesProcessed === 0) return 0;
  const rounded = Math.ceil(bytesProcessed / MIB) * MIB;
  return Math.max(rounded, BILLED_MINIMUM_BYTES * Math.max(1, referencedTables));
}

/** Dollars for bytes billed (`billedBytes`) at the on-demand price. */
export function onDemandCostUsd(bytesBilled: number, usdPerTib: number = ON_DEMAND_USD_PER_TIB): number {
  if (!(Number.isFinite(bytesBilled) && bytesBilled >= 0)) {
    throw new RangeError(`bytes billed must be a non-negative number, got ${bytesBilled}`);
  }
  return (bytesBilled / TIB) * usdPerTib;
}

/** How a cost estimate's bytes were found, in words. */
export function labelOf(method: CostEstimateMethod): string {
  return method === 'dry_run'
    ? 'BigQuery dry run'
    : 'estimate from the sizes of the columns read, as BigQuery would count them';
}

/** `1.23 GiB` style, for messages. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(2)} ${units[unit]}`;
}

/**
 * Dollars as people read them: `$0.02`, four decimals under a cent (`$0.0061`), and `< $0.0001`
 * for a cost above nothing that four decimals would show as `$0.0000`, which reads as free.
 */
export function formatUsd(usd: number): string {
  if (usd > 0 && usd < 0.00005) return '< $0.0001';
  return `$${usd < 0.01 && usd > 0 ? usd.toFixed(4) : usd.toFixed(2)}`;
}

/** An estimated cost in a sentence: `about $0.02`, or `< $0.0001`, which needs no "about". */
export function aboutUsd(usd: number): string {
  const text = formatUsd(usd);
  return text.startsWith('<') ? text : `about ${text}`;
}

/**
 * Whether a query's bytes scanned are worth a number beside its bytes billed: a minimum raised
 * the bill, or the bill is well under the scan (an answer from BigQuery's cache); rounding up
 * to the MB alone is not.
 */
export function scannedDiffers(billed: number, scanned: number): boolean {
  return Math.abs(billed - scanned) >= MIB;
}

/**
 * Bytes billed, with the bytes scanned beside them where they differ (scannedDiffers):
 * `20.00 MiB billed (1.50 KiB scanned)`.
 */
export function billedText(billed: number, scanned: number, note?: string): string {
  const shown = `${formatBytes(billed)} billed`;
  const notes = [
    ...(note ? [note] : []),
    ...(scannedDiffers(billed, scanned) ? [`${formatBytes(scanned)} scanned`] : []),
  ];
  return notes.length > 0 ? `${shown} (${notes.join('; ')})` : shown;
}

/**
 * A total of queries' figures as a preview's reports write it (the CLI's list of queries as
 * they ran, the dashboard's costs table): `~` and "estimated" when any figure it adds is an
 * estimate, and how many queries it adds when fewer than all had one.
 * `~60.00 MiB billed (the 3 with a figure, estimated)`.
 */
export function totalText(shown: string, total: { estimated: boolean; counted: number; of: number }): string {
  const { estimated, counted, of } = total;
  const note =
    counted < of
      ? ` (the ${counted} with a figure${estimated ? ', estimated' : ''})`
      : estimated
        ? ' (estimated)'
        : '';
  return `${estimated ? '~' : ''}${shown}${note}`;
}

/** `3.20 GiB billed, about $0.02 at $6.25/TiB on demand`: a query's bytes billed (billedBytes) and scanned. */
export function describeCost(
  bytesScanned: number,
  bytesBilled: number,
  usdPerTib: number = ON_DEMAND_USD_PER_TIB,
): string {
  return `${billedText(bytesBilled, bytesScanned)}, ${aboutUsd(onDemandCostUsd(bytesBilled, usdPerTib))} at $${usdPerTib}/TiB on demand`;
}

const DECIMAL_UNITS = ['KB', 'MB', 'GB', 'TB', 'PB'];
const BINARY_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
const UNITS = new Map<string, number>([
  ['b', 1],
  ...DECIMAL_UNITS.map((unit, i): [string, number] => [unit.toLowerCase(), 1000 ** (i + 1)]),
  ...BINARY_UNITS.map((unit, i): [string, number] => [unit.toLowerCase(), 1024 ** (i + 1)]),
]);

/**
 * What parseByteSize reads, as an error about a value it refused says it (`least`: the smallest
 * the value may be, e.g. `0 or more`): `--max_bytes` and CONTRAIL_BIGQUERY_MAX_BYTES_BILLED alike.
 */
export function byteSizeForms(least: string): string {
  return `a number of bytes (${least}), optionally with a unit (${DECIMAL_UNITS.join(', ')}: powers of 1000; ${BINARY_UNITS.join(', ')}: of 1024), e.g. 2GB`;
}

/** A byte count as people write it: `1500000000`, `1.5GB` (powers of 1000), `2GiB` (of 1024); null if it is neither. */
export function parseByteSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS.get((match?.[2] || 'b').toLowerCase());
  if (!match || unit === undefined) return null;
  return Math.round(Number(match[1]) * unit);
}
