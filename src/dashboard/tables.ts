import { recordedBuild } from '../analysis/labels.js';
import { LOGS_TABLE } from '../analysis/logs.js';
import { QUERY_COSTS_TABLE } from '../analysis/query-costs.js';
import { ANALYSIS_PERIODS, type AnalysisPeriod } from '../config/periods.js';
import { statisticsTableName } from '../sql/names.js';
import { normalizeSlug } from '../warehouse/identifiers.js';
import { lastUpdatedOf } from '../warehouse/labels.js';
import type { TableInfo } from '../warehouse/warehouse.js';
import type { ComputedBy, DatasetChoice, ViewResponse } from './api.js';

/** The statistics tables of one experiment in a dataset: window indexes per period. */
export interface ExperimentTables {
  /** The slug as it appears in table names (normalized: `-` became `_`). */
  tableSlug: string;
  periods: { period: AnalysisPeriod; windows: number[] }[];
}

// Longest period names first, so `preenrollment_week` is never read as slug `…_preenrollment` + `week`.
const PERIOD_ALTERNATIVES = [...ANALYSIS_PERIODS].sort((a, b) => b.length - a.length).join('|');
const STATISTICS_TABLE = new RegExp(`^statistics_(.+?)_(${PERIOD_ALTERNATIVES})_(\\d+)$`);

/**
 * Reads `statistics_<slug>_<period>_<window>` table names back into experiments. Views
 * (`statistics_<slug>_weekly`) and other tables do not match. A name is only accepted when
 * forming it again gives the same name, so an odd slug never yields a wrong split.
 */
export function experimentsFromTables(tableNames: Iterable<string>): ExperimentTables[] {
  const bySlug = new Map<string, Map<AnalysisPeriod, number[]>>();
  for (const name of tableNames) {
    const match = STATISTICS_TABLE.exec(name);
    if (!match) continue;
    const [, slug, period, window] = match as unknown as [string, string, AnalysisPeriod, string];
    const windowIndex = Number(window);
    if (windowIndex < 1 || statisticsTableName(slug, period, windowIndex) !== name) continue;
    const periods = bySlug.get(slug) ?? new Map<AnalysisPeriod, number[]>();
    periods.set(period, [...(periods.get(period) ?? []), windowIndex]);
    bySlug.set(slug, periods);
  }
  return [...bySlug]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tableSlug, periods]) => ({
      tableSlug,
      periods: ANALYSIS_PERIODS.filter((p) => periods.has(p)).map((period) => ({
        period,
        windows: [...(periods.get(period) ?? [])].sort((a, b) => a - b),
      })),
    }));
}

/**
 * What of contrail's the dataset `name` holds, read from its table names: results (statistics
 * tables), or only the logs or query costs of runs that wrote none; null when neither (another
 * team's dataset, an empty one), which the page does not offer.
 */
export function contrailDataset(name: string, tableNames: Iterable<string>): DatasetChoice | null {
  const tables = [...tableNames];
  if (experimentsFromTables(tables).length > 0) return { name };
  if (tables.includes(LOGS_TABLE) || tables.includes(QUERY_COSTS_TABLE)) return { name, noResults: true };
  return null;
}

/** The experiment a URL names, by its slug or its table-name form. */
export function findExperiment(experiments: ExperimentTables[], slug: string): ExperimentTables | undefined {
  const wanted = normalizeSlug(slug);
  return experiments.find((e) => e.tableSlug === wanted);
}

/**
 * When the tables were written (their `last_updated` labels), when the first of them expires, and
 * which builds computed them from which configs (their build labels), most tables first.
 */
export function writtenAt(tables: TableInfo[]): ViewResponse['written'] {
  const builds = new Map<string, ComputedBy>();
  for (const table of tables) {
    const build = recordedBuild(table.labels);
    if (build === null) continue;
    const key = JSON.stringify([build.toolVersion, build.buildId, build.configCommit]);
    const entry = builds.get(key) ?? { ...build, tables: 0 };
    entry.tables += 1;
    builds.set(key, entry);
  }
  const times = tables
    .map((t) => lastUpdatedOf(t.labels))
    .filter((ms) => ms !== null)
    .sort((a, b) => a - b);
  const expiries = tables.map((t) => t.expiresAt).filter((ms): ms is number => ms !== null);
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    oldest: iso(times[0]),
    newest: iso(times[times.length - 1]),
    expiresAt: iso(expiries.length === 0 ? undefined : Math.min(...expiries)),
    builds: [...builds.values()].sort((a, b) => b.tables - a.tables),
    tables: tables.length,
  };
}
