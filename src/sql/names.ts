import { isDefinitionName } from '../config/names.js';
import { ANALYSIS_PERIODS, type AnalysisPeriod, PERIOD_VIEW_SUFFIX } from '../config/periods.js';
import type { AnalysisBasis } from '../config/spec.js';
import { ANALYSIS_BASES } from '../config/spec.js';
import { assertTableName, InvalidIdentifierError, normalizeSlug } from '../warehouse/identifiers.js';

/**
 * Names of the tables and views contrail writes, exactly as jetstream forms them
 * (analysis.py `_table_name`, `publish_view`, `save_statistics`): every part normalized
 * (characters outside [A-Za-z0-9_] become `_`) and the result validated, so no slug or
 * data-source name can carry SQL into a statement.
 */

function join(...parts: (string | number)[]): string {
  return assertTableName(parts.map((p) => (typeof p === 'number' ? String(p) : normalizeSlug(p))).join('_'));
}

/**
 * The enrollments table's column of each client's first exposure, which the exposures basis
 * selects on; the provenance map names the exposure signal's SQL by it.
 */
export const EXPOSURE_DATE_COLUMN = 'exposure_date';

/** `enrollments_<slug>` */
export function enrollmentsTableName(slug: string): string {
  return join('enrollments', slug);
}

/** `<slug>_<basis>_<datasource>_<period>_<window>`: one metrics table per data source and window. */
export function metricsTableName(
  slug: string,
  basis: AnalysisBasis,
  dataSource: string,
  period: AnalysisPeriod,
  windowIndex: number,
): string {
  return join(slug, basis, dataSource, period, windowIndex);
}

/**
 * `metrics_<length>_<slug>_<datasource>_<period>_<window>`: the per-client metrics of one data
 * source and window for every analysis basis (an `analysis_basis` column), from one scan of the
 * data source (contrail's own). jetstream's per-basis tables are split from it (on DuckDB, views
 * over it). The prefix keeps it out of jetstream's view wildcards. The slug's length (normalized)
 * tells where it ends: without it, experiment `foo` scanning `search_clients_daily` and
 * `foo-search` scanning `clients_daily` would write the same table, each over the other's, and
 * dropping one's results would drop the other's.
 */
export function metricsScanTableName(
  slug: string,
  dataSource: string,
  period: AnalysisPeriod,
  windowIndex: number,
): string {
  return join('metrics', normalizeSlug(slug).length, slug, dataSource, period, windowIndex);
}

/**
 * The scan table's name as builds before the slug's length was in it wrote it
 * (`metrics_<slug>_<datasource>_<period>_<window>`): dropped with the experiment's results, so
 * that a rerun or preview leaves none behind. Such a name may be another experiment's as well.
 */
export function legacyMetricsScanTableName(
  slug: string,
  dataSource: string,
  period: AnalysisPeriod,
  windowIndex: number,
): string {
  return join('metrics', slug, dataSource, period, windowIndex);
}

/** `statistics_<slug>_<period>_<window>` */
export function statisticsTableName(slug: string, period: AnalysisPeriod, windowIndex: number): string {
  return join('statistics', slug, period, windowIndex);
}

/** `<slug>_<basis>_<suffix>` (suffix: daily, weekly, days28, overall, preenrollment_weekly, preenrollment_days28). */
export function metricsViewName(slug: string, basis: AnalysisBasis, period: AnalysisPeriod): string {
  return join(slug, basis, PERIOD_VIEW_SUFFIX[period]);
}

/** `statistics_<slug>_<suffix>` */
export function statisticsViewName(slug: string, period: AnalysisPeriod): string {
  return join('statistics', slug, PERIOD_VIEW_SUFFIX[period]);
}

/**
 * `statistic_inputs_<slug>_<basis>_<datasource>_<period>_<window>`: the value histograms a metrics
 * table reduces to (contrail's own; jetstream pulled per-client rows instead). The prefix keeps
 * these out of jetstream's view wildcards (`<slug>_<basis>_<ds>_<period>_*`, `statistics_<slug>_*`).
 */
export function statisticInputsTableName(
  slug: string,
  basis: AnalysisBasis,
  dataSource: string,
  period: AnalysisPeriod,
  windowIndex: number,
): string {
  return join('statistic_inputs', slug, basis, dataSource, period, windowIndex);
}

/**
 * `staging_<key>_<table>`: where one run writes a result table before publishing swaps it in
 * (`key` names the run and experiment). contrail's own prefix: outside jetstream's view
 * wildcards (`<slug>_*`, `statistics_<slug>_*`) and every pattern of `belongsToExperiment`.
 */
export function stagingTableName(key: string, table: string): string {
  return assertTableName(`${stagingPrefix(key)}${table}`);
}

/** The prefix of every table one run stages: `staging_<key>_`. */
export function stagingPrefix(key: string): string {
  if (!/^[a-z0-9]{1,32}$/.test(key))
    throw new TypeError(`staging key ${JSON.stringify(key)}: expected [a-z0-9]{1,32}`);
  return `staging_${key}_`;
}

/** Column name contrail gives a metric or segment (config names are validated, never quoted around). */
export function columnName(name: string, what: string): string {
  if (!isDefinitionName(name)) {
    throw new InvalidIdentifierError(
      `${what} name`,
      name,
      'use letters, digits and underscores, starting with a letter or underscore',
    );
  }
  return name;
}

const PERIODS = `(${ANALYSIS_PERIODS.join('|')})`;
const SUFFIXES = `(${Object.values(PERIOD_VIEW_SUFFIX).join('|')})`;
const BASES = `(${ANALYSIS_BASES.join('|')})`;

/** A slug as a regular expression matches it. */
const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** An experiment's scan names (normalized slug `s`): the length-prefixed naming, then the older one. */
const scanPatterns = (s: string): [RegExp, RegExp] => [
  new RegExp(`^metrics_${s.length}_${escaped(s)}_.+_${PERIODS}_\\d+$`),
  new RegExp(`^metrics_${escaped(s)}_.+_${PERIODS}_\\d+$`),
];

/**
 * Whether a table or view of a dataset is one contrail writes for experiment `slug`
 * (normalized), given every experiment's normalized slug: a longer slug sharing this one as a
 * prefix ("foo" and "foo_bar") claims its own tables.
 */
export function belongsToExperiment(name: string, slug: string, allSlugs: readonly string[]): boolean {
  const scan = (s: string) => scanPatterns(s)[0];
  const patterns = (s: string) => {
    const e = escaped(s);
    return [
      new RegExp(`^enrollments_${e}$`),
      new RegExp(`^${e}_${BASES}_(.+_${PERIODS}_\\d+|${SUFFIXES})$`),
      new RegExp(`^statistics_${e}_(${PERIODS}_\\d+|${SUFFIXES})$`),
      ...scanPatterns(s),
      new RegExp(`^statistic_inputs_${e}_${BASES}_.+_${PERIODS}_\\d+$`),
    ];
  };
  if (!patterns(slug).some((p) => p.test(name))) return false;
  // A name read as this slug's scan by the older naming may be another's by the length-prefixed
  // one: `metrics_10_shortcut_x_…` is experiment `shortcut_x`'s, not an old scan of `10_shortcut`.
  if (!scan(slug).test(name) && allSlugs.some((other) => other !== slug && scan(other).test(name)))
    return false;
  return !allSlugs.some(
    (other) =>
      other.length > slug.length && other.startsWith(`${slug}_`) && patterns(other).some((p) => p.test(name)),
  );
}

/**
 * The normalized slugs of the experiments whose tables a dataset holds, as far as its table
 * names tell: each enrollments table's (every analysed experiment has one), and each scan's of
 * the length-prefixed naming (whose slug its length delimits).
 */
export function experimentSlugsIn(names: Iterable<string>): string[] {
  const slugs = new Set<string>();
  for (const name of names) {
    const enrollments = /^enrollments_(.+)$/.exec(name);
    if (enrollments?.[1]) slugs.add(enrollments[1]);
    const scan = /^metrics_(\d+)_(.+)$/.exec(name);
    const length = Number(scan?.[1]);
    const rest = scan?.[2] ?? '';
    if (length > 0 && rest.length > length + 1 && rest[length] === '_') slugs.add(rest.slice(0, length));
  }
  return [...slugs];
}

/**
 * Whether a scan name of experiment `slug` may be another experiment's scan, by either naming,
 * among the experiments whose tables are among `names` (`experimentSlugsIn`): an older scan's
 * name may (`foo` scanning `search_clients_daily` and `foo-search` scanning `clients_daily` wrote
 * the same table), and so may one whose slug begins with digits
 * (`metrics_10_shortcut_x_main_week_1` is `10-shortcut`'s older scan of `x_main` and
 * `shortcut-x`'s of `main`). Such a table is never dropped as the experiment's. The test is made
 * once per listing (a dataset may hold thousands of tables) and asked of each name.
 */
export function mayBeAnothersScan(slug: string, names: Iterable<string>): (name: string) => boolean {
  const own = normalizeSlug(slug);
  const patterns = experimentSlugsIn(names)
    .filter((other) => other !== own)
    .flatMap(scanPatterns);
  return (name) => patterns.some((p) => p.test(name));
}

/**
 * The scans of the older naming (`legacyMetricsScanTableName`) of experiment `slug` that a run
 * publishing the tables `published` (their published names) supersedes with its scans of the
 * length-prefixed naming: publishing drops them, rather than leaving them to cost storage and
 * fill listings until a rerun. `existing` is every table and view of the dataset. A name is left
 * where dropping it could take anything still read:
 * - one that may be another experiment's (`mayBeAnothersScan`);
 * - a per-basis metrics table of the same window that this run does not replace (a basis the
 *   configs no longer compute): on DuckDB such a table is a view over the older scan.
 */
export function supersededLegacyScans(
  slug: string,
  published: readonly string[],
  existing: ReadonlySet<string>,
): string[] {
  const own = normalizeSlug(slug);
  let anothers: ((name: string) => boolean) | null = null;
  const replaced = new Set(published);
  const prefix = `metrics_${own.length}_${own}_`;
  const window = new RegExp(`^(.+)_${PERIODS}_(\\d+)$`);
  const superseded = new Set<string>();
  for (const name of published) {
    // The run's scans: `<data source>_<period>_<window>` after the prefix.
    const parts = name.startsWith(prefix) ? window.exec(name.slice(prefix.length)) : null;
    const dataSource = parts?.[1];
    const period = ANALYSIS_PERIODS.find((p) => p === parts?.[2]);
    const windowIndex = Number(parts?.[3]);
    if (dataSource === undefined || period === undefined) continue;
    if (metricsScanTableName(own, dataSource, period, windowIndex) !== name) continue;
    const legacy = legacyMetricsScanTableName(own, dataSource, period, windowIndex);
    if (!existing.has(legacy) || replaced.has(legacy)) continue;
    anothers ??= mayBeAnothersScan(own, existing);
    if (anothers(legacy)) continue;
    const readers = ANALYSIS_BASES.map((basis) =>
      metricsTableName(own, basis, dataSource, period, windowIndex),
    );
    if (readers.some((t) => existing.has(t) && !replaced.has(t))) continue;
    superseded.add(legacy);
  }
  return [...superseded].sort();
}
