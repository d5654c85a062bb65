import { LOGS_TABLE } from '../analysis/logs.js';
import { QUERY_COSTS_TABLE } from '../analysis/query-costs.js';
import type { AnalysisPeriod } from '../config/periods.js';
import type { SqlDialect } from '../sql/dialect.js';
import { statisticsTableName } from '../sql/names.js';
import { IDENTITY_METRIC, StatisticResultRow } from '../statistics/results.js';
import { didYouMean } from '../suggest.js';
import { assertDatasetOf, InvalidIdentifierError, normalizeSlug } from '../warehouse/identifiers.js';
import type { TableInfo, TableRef, Warehouse } from '../warehouse/warehouse.js';
import type {
  DatasetChoice,
  ExperimentChoice,
  OverviewPanel,
  ViewRequest,
  ViewResponse,
  ViewSelection,
} from './api.js';
import { DashboardDataError, DashboardRequestError, noSuchDataset } from './errors.js';
import { choose } from './filters.js';
import { emptyOverview, overviewPlan } from './overview.js';
import {
  contrailDataset,
  type ExperimentTables,
  experimentsFromTables,
  findExperiment,
  writtenAt,
} from './tables.js';
import {
  addName,
  costsOf,
  errorDates,
  errorsLogged,
  experimentNames,
  readCostRows,
  readErrors,
  windowAnalysisDate,
} from './view-logs.js';

/** The warehouse part of a view: everything but the SQL panel (which reads files) and the timing. */
export type WarehouseView = Omit<ViewResponse, 'sql' | 'warehouseMs'>;

/** The columns of a statistics table, in the order contrail writes them. */
const STATISTICS_COLUMNS = Object.keys(StatisticResultRow.shape);
/** Preferred defaults, in order, when the URL does not choose. */
const PERIOD_PREFERENCE: AnalysisPeriod[] = [
  'week',
  'day',
  'days28',
  'overall',
  'preenrollment_week',
  'preenrollment_days28',
];

type OptionRow = {
  metric: string;
  statistic: string;
  segment: string;
  analysis_basis: string;
  with_parameter: number;
  /** Relative-uplift rows without a parameter: whether the statistic can stand for the metric in the overview. */
  with_uplift: number;
  /** The latest window having such rows; null without any. */
  uplift_window: number | null;
};

const unique = (values: Iterable<string>) => [...new Set(values)].sort((a, b) => a.localeCompare(b));

export interface ReadViewOptions {
  /**
   * Datasets a link may name before anything was written to them (preview, production): shown
   * with a notice, not refused; offered only without a `listDatasets` to say which there are.
   */
  knownDatasets?: string[];
  /**
   * The warehouse's datasets that hold contrail's output, offered too: those with results are
   * named when the one shown has none; those with only run logs or costs are marked so.
   */
  listDatasets?: (warehouse: Warehouse) => Promise<DatasetChoice[]>;
}

/**
 * Everything the page shows for `request` that lives in the warehouse: the dataset's
 * experiments and their periods, the filter choices, the statistics rows of the selection,
 * the experiment's logged errors and the per-query costs. Reads only; a handful of small
 * queries, so the warehouse is held briefly.
 */
export async function readView(
  warehouse: Warehouse,
  dialect: SqlDialect,
  request: ViewRequest,
  options: ReadViewOptions = {},
): Promise<WarehouseView> {
  const dataset = request.dataset;
  const notices: string[] = [];
  // Reads that do not depend on each other go to the warehouse together: on BigQuery each is a
  // request or a query job of its own, and one after another they added up to seconds a view.
  let infos: TableInfo[];
  let listed: DatasetChoice[];
  try {
    assertDatasetOf(dataset, dialect.name);
    [infos, listed] = await Promise.all([
      warehouse.listTables(dataset),
      options.listDatasets ? options.listDatasets(warehouse) : [],
    ]);
  } catch (error) {
    if (error instanceof InvalidIdentifierError)
      throw new DashboardRequestError(`dataset: ${error.message}`, 400);
    throw error;
  }
  const tables = infos.map((t) => t.ref.table);
  const experiments = experimentsFromTables(tables);
  const tableSet = new Set(tables);
  // Only these are named where a notice says where results are; the others hold only the logs
  // or costs of runs that failed before writing any.
  const withResults = listed.filter((d) => !d.noResults).map((d) => d.name);
  const logsOnly = new Set(listed.filter((d) => d.noResults).map((d) => d.name));
  const shown = contrailDataset(dataset, tables);
  if (options.listDatasets) {
    // A name from a URL that is no dataset of contrail's (another schema, DuckDB's own catalogs,
    // a typo): a clear refusal naming the ones there are, not an empty page or a warehouse error.
    const offered = unique([...(options.knownDatasets ?? []), ...listed.map((d) => d.name)]);
    if (!offered.includes(dataset) && shown === null) {
      // Dataset names are case-sensitive (BigQuery's are), so another case is another name: the
      // one dataset that differs only in case is what a hand-typed link meant; several are named.
      const sameLetters = offered.filter((d) => d.toLowerCase() === dataset.toLowerCase());
      if (sameLetters.length === 1 && sameLetters[0] !== undefined) {
        const meant = sameLetters[0];
        const view = await readView(warehouse, dialect, { ...request, dataset: meant }, options);
        view.notices.unshift(
          `dataset '${dataset}' holds no contrail results; showing '${meant}' (dataset names are case-sensitive)`,
        );
        return view;
      }
      const there = unique(listed.map((d) => d.name)); // as the page's list offers them
      throw noSuchDataset(dataset, there, logsOnly, withResults.length > 0, sameLetters);
    }
  }
  // The shown dataset is marked from its own tables (read now; the listing may be a minute old).
  if (shown?.noResults) logsOnly.add(dataset);
  else logsOnly.delete(dataset);
  // Offered: the datasets there are (listed, or the one shown when it holds contrail's tables),
  // not a known name nothing was written to, which, asked for, shows with the notice below.
  const offered = options.listDatasets
    ? [...listed.map((d) => d.name), ...(shown === null ? [] : [dataset])]
    : [dataset, ...(options.knownDatasets ?? [])];
  const datasets: DatasetChoice[] = unique(offered).map((name) =>
    logsOnly.has(name) ? { name, noResults: true } : { name },
  );
  const logsRef: TableRef | null = tableSet.has(LOGS_TABLE) ? { dataset, table: LOGS_TABLE } : null;
  const costsRef: TableRef | null = tableSet.has(QUERY_COSTS_TABLE)
    ? { dataset, table: QUERY_COSTS_TABLE }
    : null;
  const [costRows, names] = await Promise.all([
    readCostRows(warehouse, dialect, costsRef),
    // Experimenter's spelling of each slug (tables only keep the normalized form).
    experimentNames(warehouse, dialect, logsRef),
  ]);
  for (const row of costRows.rows) addName(names, row.experiment);
  const choicesExperiments: ExperimentChoice[] = experiments.map((e) => ({
    slug: e.tableSlug,
    name: names.get(e.tableSlug)?.[0] ?? e.tableSlug,
  }));

  const empty: WarehouseView = {
    selection: emptySelection(dataset),
    notices,
    choices: {
      datasets,
      experiments: choicesExperiments,
      periods: [],
      bases: [],
      segments: [],
      metrics: [],
      statistics: [],
    },
    rows: [],
    overview: emptyOverview(),
    written: { oldest: null, newest: null, expiresAt: null, builds: [], tables: 0 },
    errors: { present: logsRef !== null, columns: [], rows: [], entries: 0, truncated: false },
    costs: { present: costsRef !== null, rows: [], problems: costRows.problems },
  };
  // Experiments the logs or costs name that have no statistics table: runs that failed before
  // writing any results. Their errors are what there is to show.
  const withoutResults = [...names.keys()]
    .filter((slug) => !experiments.some((e) => e.tableSlug === slug))
    .sort((a, b) => a.localeCompare(b));
  const noResults = async (slug: string): Promise<WarehouseView> => {
    const originals = names.get(slug) ?? [slug];
    const name = originals[0] ?? slug;
    const [failed, errors] = await Promise.all([
      errorDates(warehouse, dialect, logsRef, originals),
      readErrors(warehouse, dialect, logsRef, originals),
    ]);
    notices.push(
      failed.length > 0
        ? `${name} has no results in dataset '${dataset}': ${errorsLogged(failed)}; the errors are listed under "Errors and warnings of the run"`
        : `${name} has no results in dataset '${dataset}' (no statistics tables), and logged no error`,
    );
    return {
      ...empty,
      selection: { ...emptySelection(dataset), experiment: slug },
      choices: {
        ...empty.choices,
        experiments: [...choicesExperiments, { slug, name, noResults: true }],
      },
      errors,
      costs: costsOf(costRows, slug),
    };
  };
  if (request.experiment && !findExperiment(experiments, request.experiment)) {
    const slug = normalizeSlug(request.experiment);
    if (withoutResults.includes(slug)) return noResults(slug);
  }
  if (experiments.length === 0) {
    const elsewhere = withResults.filter((d) => d !== dataset);
    notices.push(
      `dataset '${dataset}' has no statistics tables (statistics_<slug>_<period>_<window>)${
        elsewhere.length === 0
          ? ''
          : `; results are in dataset${elsewhere.length === 1 ? '' : 's'} ${elsewhere.join(', ')}`
      }`,
    );
    const first = withoutResults[0];
    return first === undefined ? empty : noResults(first);
  }
  let experiment: ExperimentTables;
  if (request.experiment) {
    const found = findExperiment(experiments, request.experiment);
    if (!found) {
      // A misspelt slug in a hand-typed link, most often: the closest name there, among the
      // experiments with results and those whose runs logged only errors.
      const failedOnly = withoutResults.map((slug) => names.get(slug)?.[0] ?? slug);
      const known = [...choicesExperiments.map((e) => e.name), ...failedOnly];
      throw new DashboardRequestError(
        `experiment '${request.experiment}' has no statistics tables in dataset '${dataset}'${didYouMean(request.experiment, known)}; experiments there: ${choicesExperiments.map((e) => e.name).join(', ')}${
          failedOnly.length > 0 ? `; without results: ${failedOnly.join(', ')}` : ''
        }`,
        404,
      );
    }
    experiment = found;
  } else {
    experiment = experiments[0] as ExperimentTables;
  }
  const originals = names.get(experiment.tableSlug) ?? [];

  const periods = experiment.periods.map((p) => p.period);
  const period = choose('period', request.period, periods, PERIOD_PREFERENCE, notices) as AnalysisPeriod;
  const windows = experiment.periods.find((p) => p.period === period)?.windows ?? [];
  const tableOf = (w: number) =>
    dialect.table({ dataset, table: statisticsTableName(experiment.tableSlug, period, w) });
  // Each window's rows, with the window as a number beside them, so the latest is found without
  // a dialect's casts (`window_index` is a string, as jetstream writes it).
  const union = windows
    .map((w) => `SELECT ${STATISTICS_COLUMNS.join(', ')}, ${w} AS window_number FROM ${tableOf(w)}`)
    .join('\nUNION ALL\n');
  const isUplift = `comparison = 'relative_uplift' AND parameter IS NULL`;

  const options_ = await warehouse.query<OptionRow>(
    `SELECT metric, statistic, segment, analysis_basis, COUNT(parameter) AS with_parameter,
  COUNT(CASE WHEN ${isUplift} THEN 1 END) AS with_uplift,
  MAX(CASE WHEN ${isUplift} THEN window_number END) AS uplift_window
FROM (${union}) AS s
GROUP BY metric, statistic, segment, analysis_basis`,
  );
  const bases = unique(options_.map((o) => o.analysis_basis));
  const basis = choose('basis', request.basis, bases, ['enrollments'], notices);
  const segments = unique(options_.filter((o) => o.analysis_basis === basis).map((o) => o.segment));
  const segment = choose('segment', request.segment, segments, ['all'], notices);
  const here = options_.filter((o) => o.analysis_basis === basis && o.segment === segment);
  const metrics = unique(here.map((o) => o.metric));
  const metric = choose(
    'metric',
    request.metric,
    metrics,
    metrics.filter((m) => m !== IDENTITY_METRIC),
    notices,
  );
  const ofMetric = here.filter((o) => o.metric === metric);
  const statistics = unique(ofMetric.map((o) => o.statistic));
  // A statistic with one value per branch draws the clearest chart; deciles and the like come second.
  const statistic = choose(
    'statistic',
    request.statistic,
    statistics,
    statistics.filter((s) => ofMetric.some((o) => o.statistic === s && Number(o.with_parameter) === 0)),
    notices,
  );

  const plan = overviewPlan(here, metrics);
  const ofSelection = `analysis_basis = ${dialect.stringLiteral(basis ?? '')}
  AND segment = ${dialect.stringLiteral(segment ?? '')}`;
  // The overview's rows: one table per window its metrics are at (the latest, most often alone),
  // only the rows it shows, read with the selection's rows in the same round.
  const overviewSql = [...new Set(plan.chosen.map((c) => c.window))]
    .map((w) => {
      const atWindow = plan.chosen.filter((c) => c.window === w);
      const list = (values: string[]) => [...new Set(values)].map((v) => dialect.stringLiteral(v)).join(', ');
      return `SELECT ${STATISTICS_COLUMNS.join(', ')} FROM ${tableOf(w)}
WHERE ${ofSelection}
  AND ${isUplift}
  AND metric IN (${list(atWindow.map((c) => c.metric))})
  AND statistic IN (${list(atWindow.map((c) => c.statistic))})`;
    })
    .join('\nUNION ALL\n');

  const [raw, overviewRaw, failed, errors] = await Promise.all([
    warehouse.query(
      `SELECT ${STATISTICS_COLUMNS.join(', ')} FROM (${union}) AS s
WHERE ${ofSelection}
  AND metric = ${dialect.stringLiteral(metric ?? '')}
  AND statistic = ${dialect.stringLiteral(statistic ?? '')}`,
    ),
    overviewSql === '' ? Promise.resolve([]) : warehouse.query(overviewSql),
    errorDates(warehouse, dialect, logsRef, originals),
    readErrors(warehouse, dialect, logsRef, originals),
  ]);
  const periodTables = new Set(windows.map((w) => statisticsTableName(experiment.tableSlug, period, w)));
  const written = writtenAt(infos.filter((t) => periodTables.has(t.ref.table)));
  if (failed.length > 0) {
    notices.unshift(
      `${errorsLogged(failed, originals[0] ?? experiment.tableSlug)}: results of ${failed.length === 1 ? 'that date' : 'those dates'} may be missing or incomplete; the errors are listed under "Errors and warnings of the run"`,
    );
  }
  const parse = (row: Record<string, unknown>, i: number) => {
    const parsed = StatisticResultRow.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DashboardDataError(
        `statistics of ${experiment.tableSlug} (${period}) in dataset ${dataset}, row ${i}: column ${issue?.path.join('.')}: ${issue?.message}`,
      );
    }
    return parsed.data;
  };
  const rows = raw.map(parse);
  const overviewRows = overviewRaw.map(parse);
  const latest = plan.chosen.reduce<number | null>(
    (max, c) => (max === null || c.window > max ? c.window : max),
    null,
  );
  const latestTable = latest === null ? null : statisticsTableName(experiment.tableSlug, period, latest);
  const costs = costsOf(costRows, experiment.tableSlug);
  const overview: OverviewPanel = {
    window: latest,
    written: writtenAt(infos.filter((t) => t.ref.table === latestTable)).newest,
    analysisDate: latest === null ? null : windowAnalysisDate(costs.rows, period, latest),
    metrics: plan.chosen.map((c) => ({
      ...c,
      rows: overviewRows
        .filter((r) => r.metric === c.metric && r.statistic === c.statistic)
        .sort(
          (a, b) =>
            a.branch.localeCompare(b.branch) ||
            (a.comparison_to_branch ?? '').localeCompare(b.comparison_to_branch ?? ''),
        ),
    })),
    without: plan.without,
  };
  rows.sort(
    (a, b) =>
      Number(a.window_index) - Number(b.window_index) ||
      (a.comparison ?? '').localeCompare(b.comparison ?? '') ||
      a.branch.localeCompare(b.branch) ||
      (a.comparison_to_branch ?? '').localeCompare(b.comparison_to_branch ?? '') ||
      Number(a.parameter ?? 0) - Number(b.parameter ?? 0),
  );

  const selection: ViewSelection = {
    dataset,
    experiment: experiment.tableSlug,
    period,
    basis,
    segment,
    metric,
    statistic,
  };
  return {
    selection,
    notices,
    choices: { ...empty.choices, periods: experiment.periods, bases, segments, metrics, statistics },
    rows,
    overview,
    written,
    errors,
    costs,
  };
}

function emptySelection(dataset: string): ViewSelection {
  return {
    dataset,
    experiment: null,
    period: null,
    basis: null,
    segment: null,
    metric: null,
    statistic: null,
  };
}
