import type { BranchBins, ValueBin } from '../../statistics/index.js';
import { type AnalysisWindow, windowDays } from '../windows.js';
import type { InputKind } from './statistic-input-kinds.js';

/**
 * A statistic-inputs table read back: its rows (value histograms) grouped into the inputs of
 * the statistics engine, per metric, input kind, covariate period and segment.
 */

/** A row of a statistic-inputs table as the warehouse returns it (`Warehouse.readRows`). */
export interface StatisticInputRow {
  metric: string;
  kind: InputKind['kind'];
  covariate_period: string | null;
  segment: string;
  branch: string;
  y: number | null;
  x: number | null;
  count: number;
}

/** The columns a statistic-inputs table is read back with: those of a StatisticInputRow. */
export const STATISTIC_INPUT_COLUMNS: readonly (keyof StatisticInputRow)[] = [
  'metric',
  'kind',
  'covariate_period',
  'segment',
  'branch',
  'y',
  'x',
  'count',
];

/** The bins of one metric, input kind, covariate period and segment, per branch. */
export interface StatisticInputGroup {
  metric: string;
  kind: string;
  covariatePeriod: string | null;
  segment: string;
  windowDays: number;
  branches: BranchBins[];
}

/** The key of a group in groupStatisticInputRows' map. */
export function statisticInputKey(
  metric: string,
  kind: string,
  covariatePeriod: string | null,
  segment: string,
): string {
  return [metric, kind, covariatePeriod ?? '', segment].join('|');
}

/** Bins per (metric, kind, covariate_period, segment), branches in first-seen order. */
export function groupStatisticInputRows(
  rows: StatisticInputRow[],
  window: Pick<AnalysisWindow, 'startOffset' | 'endOffset'>,
): Map<string, StatisticInputGroup> {
  const groups = new Map<string, StatisticInputGroup>();
  for (const row of rows) {
    const key = statisticInputKey(row.metric, row.kind, row.covariate_period, row.segment);
    let group = groups.get(key);
    if (!group) {
      group = {
        metric: row.metric,
        kind: row.kind,
        covariatePeriod: row.covariate_period,
        segment: row.segment,
        windowDays: windowDays(window),
        branches: [],
      };
      groups.set(key, group);
    }
    let branch = group.branches.find((b) => b.branch === row.branch);
    if (!branch) {
      branch = { branch: row.branch, bins: [] };
      group.branches.push(branch);
    }
    const bin: ValueBin =
      row.kind === 'values'
        ? { y: row.y, count: Number(row.count) }
        : { y: row.y, x: row.x, count: Number(row.count) };
    branch.bins.push(bin);
  }
  return groups;
}

/** A row as the warehouse returns it (numbers may come back as strings or bigints), typed. */
export function toStatisticInputRow(row: Record<string, unknown>): StatisticInputRow {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    metric: String(row.metric),
    kind: String(row.kind) as StatisticInputRow['kind'],
    covariate_period: row.covariate_period === null ? null : String(row.covariate_period),
    segment: String(row.segment),
    branch: String(row.branch),
    y: num(row.y),
    x: num(row.x),
    count: Number(row.count),
  };
}
