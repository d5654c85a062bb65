import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { AnalysisPeriod } from '../config/periods.js';
import type { AnalysisSpec } from '../config/spec.js';
import { SQL_PROVENANCE_FILE, SqlProvenanceMap, type SqlQueryProvenance } from '../dashboard/schema.js';
import type { IsoDate } from '../dates.js';
import type { PlannedQuery } from '../sql/plan/types.js';
import type { Dialect } from '../warehouse/warehouse.js';
import { CliError } from './errors.js';

/**
 * A `--config_file`'s text. One that cannot be read is a bad argument (exit 2) naming the
 * option, as a value it does not take is; what the config says is checked where it is used.
 */
export async function readConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const { fileRefusal } = await import('../file-refusal.js');
    throw new CliError(
      `--config_file ${path}: ${fileRefusal(error, 'a config file')} (expected an experiment config, a .toml file)`,
      2,
    );
  }
}

/** What to plan: an experiment's analysis on some dates, as a preview (or the daily run) would run it. */
export interface PlanQueriesOptions {
  slug: string;
  dates: IsoDate[];
  experimentsFile: string;
  configRepos: string[];
  /** Path of a custom experiment config, or null for the repo's. */
  configFile: string | null;
  dataset: string;
  periods?: AnalysisPeriod[];
  sampleSize?: number | null;
  /** SQL dialect to render (default duckdb); bigquery names tables in CONTRAIL_BIGQUERY_PROJECT when set. */
  dialect?: Dialect;
  /** Where CONTRAIL_BIGQUERY_PROJECT and CONTRAIL_BIGQUERY_SOURCE_PROJECT are read (default: this process's environment). */
  env?: NodeJS.ProcessEnv;
  /** Experimenter's address (drafts included), in place of the experiments file. */
  experimenterUrl?: string;
  /** The platform analysed in place of the experiment's (a config for an unknown experiment, as preview --platform). */
  platform?: string | null;
  /** Unknown config keys are warnings, not errors (`--lenient`), as the run the SQL is for takes them. */
  lenient?: boolean;
  /**
   * A preview on a generated population (`--generate-population`): its query in place of the
   * enrollments, written once, on the first date with something due, as the preview runs it;
   * an experiment whose enrollment does not end by the first date is taken to have enrolled up to it.
   */
  generatePopulation?: boolean;
  /**
   * What to tell a person whose slug no experiments source knows: how the command they ran
   * takes a config for such an experiment (default: a preview's options).
   */
  unknownHint?: string;
}

export interface PlanSqlOptions extends PlanQueriesOptions {
  /**
   * Write each query to `<dir>/<date>/<table>.sql` (`<dir>/<table>.sql` with `byDate: false`)
   * and `<dir>/provenance.json`; null = only list.
   */
  outputDir: string | null;
  /** Each date's queries in a directory of its own (default true); false writes them all in `outputDir`. */
  byDate?: boolean;
}

/** The queries of one analysis date, in the order they run. */
export interface PlannedDay {
  date: IsoDate;
  queries: PlannedQuery[];
  /** Why nothing is due on the date (no queries), in jetstream's terms; null when something is. */
  nothingDue: string | null;
}

/**
 * Renders — without running — every query the analysis of `slug` on `dates` runs, as
 * `contrail plan` and `preview --sql-output-dir` show them. Returns `table<TAB>file` lines, and
 * `nothing to compute for <slug> on <date>` for a date with nothing due.
 */
export async function planSql(options: PlanSqlOptions): Promise<string[]> {
  const days = await planQueries(options);
  const lines: string[] = [];
  const outputDir = options.outputDir;
  const written: { file: string; query: PlannedQuery; date: IsoDate }[] = [];
  for (const { date, queries, nothingDue } of days) {
    if (queries.length === 0) lines.push(`nothing to compute for ${options.slug} on ${date}: ${nothingDue}`);
    for (const query of queries) {
      const table = `${query.destination.dataset}.${query.destination.table}`;
      if (outputDir === null) {
        lines.push(table);
        continue;
      }
      const file = join(options.byDate === false ? '' : date, `${query.destination.table}.sql`);
      written.push({ file, query, date });
      lines.push(`${table}\t${join(outputDir, file)}`);
    }
  }
  if (outputDir) await writeSqlFiles(outputDir, options, written);
  return lines;
}

/**
 * Writes the planned queries and their provenance map into `dir`. What a previous run of the
 * same experiment wrote there and this one does not write again is removed, so the directory
 * holds one run's SQL, as its map describes: only the files that map lists (contrail's own),
 * and the date directories they leave empty. Another experiment's files stay.
 */
async function writeSqlFiles(
  dir: string,
  options: PlanSqlOptions,
  written: { file: string; query: PlannedQuery; date: IsoDate }[],
): Promise<void> {
  const previous = await previousRun(dir, options.slug);
  const map: SqlProvenanceMap = {
    version: 1,
    experiment: options.slug,
    dataset: options.dataset,
    queries: [],
  };
  for (const { file, query, date } of written) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), query.sql);
    map.queries.push(queryProvenance(query, file, date));
  }
  const mapFile = join(dir, SQL_PROVENANCE_FILE);
  if (map.queries.length > 0) await writeFile(mapFile, `${JSON.stringify(map, null, 2)}\n`);
  else if (previous.length > 0) await rm(mapFile, { force: true });
  const kept = new Set(written.map((w) => resolve(dir, w.file)));
  const emptied = new Set<string>();
  for (const file of previous) {
    const path = resolve(dir, file);
    if (kept.has(path)) continue;
    await rm(path, { force: true });
    emptied.add(dirname(path));
  }
  for (const sub of emptied) {
    if (sub === resolve(dir)) continue;
    // Only a directory left empty goes: one holding anything else is not contrail's alone.
    await rmdir(sub).catch(() => undefined);
  }
}

/**
 * The `.sql` files (relative to `dir`) the provenance map in `dir` lists, when that map is of
 * `slug`'s SQL; none without one, or with a map of another experiment or that does not parse.
 */
async function previousRun(dir: string, slug: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(join(dir, SQL_PROVENANCE_FILE), 'utf8');
  } catch {
    return [];
  }
  let parsed: ReturnType<typeof SqlProvenanceMap.safeParse>;
  try {
    parsed = SqlProvenanceMap.safeParse(JSON.parse(text));
  } catch {
    return [];
  }
  if (!parsed.success || parsed.data.experiment !== slug) return [];
  return parsed.data.queries
    .map((q) => q.file)
    .filter((file) => {
      const rel = relative(resolve(dir), resolve(dir, file));
      return file.endsWith('.sql') && rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
    });
}

/**
 * Every query the analysis of `slug` runs on each of `dates`, rendered without running: the
 * experiment as a preview sees it (drafts, `platform`, a synthetic record for a config whose
 * experiment no source knows). A config or plan that fails is a CliError.
 */
export async function planQueries(options: PlanQueriesOptions): Promise<PlannedDay[]> {
  const { localExperimentSource, ExperimentsFileError } = await import('../experiments/source.js');
  const { loadConfigCollection } = await import('../config/collection.js');
  const { resolveAnalysisSpec } = await import('../config/resolve.js');
  const { ConfigError } = await import('../config/problems.js');
  const { planAnalysis } = await import('../sql/plan/analysis.js');
  const { asGeneratedPopulation, planPopulationSample } = await import('../sql/plan/population.js');
  const { nothingDueReason } = await import('../analysis/plan-day.js');
  const { PlanError } = await import('../sql/plan/common.js');
  const { sqlDialect } = await import('../sql/render/dialects.js');
  // BigQuery SQL as this machine's worker would render it: its project and the source project
  // of the shared tables.
  const { bigQueryProjects } = await import('../warehouse/bigquery-settings.js');
  const dialect = sqlDialect(options.dialect ?? 'duckdb', {
    bigquery: bigQueryProjects(options.env ?? process.env),
  });

  const { experimentSourceFromSettings, ExperimenterError } = await import('../experiments/experimenter.js');
  const { SpecResolver } = await import('../analysis/spec-resolver.js');
  const { resolveAsPreviewed, undatedSpec } = await import('../analysis/previewed-enrollment.js');
  const { UnknownExperimentError } = await import('../analysis/errors.js');
  const source = options.experimenterUrl
    ? experimentSourceFromSettings({ experimenterUrl: options.experimenterUrl })
    : localExperimentSource(options.experimentsFile);
  // As a preview sees it: drafts too, the platform in place of the experiment's, and a
  // synthetic record for a config whose experiment no source knows.
  let experiment: Awaited<ReturnType<InstanceType<typeof SpecResolver>['targetExperiment']>>;
  try {
    experiment = await new SpecResolver(options.configRepos, source).targetExperiment(
      {
        slug: options.slug,
        pin: { configCommit: null },
        configOverride: options.configFile ? await readConfigText(options.configFile) : null,
        lenient: options.lenient ?? false,
        preview: true,
        platform: options.platform ?? null,
      },
      options.unknownHint,
    );
  } catch (error) {
    if (error instanceof UnknownExperimentError)
      throw new CliError(
        `--experiment_slug: ${error.message} (experiments from ${options.experimenterUrl ?? options.experimentsFile})`,
      );
    if (error instanceof ExperimentsFileError || error instanceof ExperimenterError)
      throw new CliError(error.message);
    throw error;
  }
  const days: PlannedDay[] = [];
  try {
    const collection = await loadConfigCollection({ repos: options.configRepos });
    const specOf = (x: typeof experiment, date: IsoDate) => {
      const { spec } = resolveAnalysisSpec(collection, x, {
        asOfDate: date,
        lenient: options.lenient ?? false,
        ...(options.configFile ? { configFile: options.configFile } : {}),
      });
      // As the preview's worker reads it (SpecResolver.resolve): no experiments column.
      return options.generatePopulation ? asGeneratedPopulation(spec) : spec;
    };
    const [first] = options.dates;
    const last = options.dates.at(-1);
    // The experiment as the preview's worker took it (SpecResolver.resolve): its enrollment moved
    // to end on the first date when it does not end by then.
    if (options.generatePopulation && first !== undefined) {
      ({ experiment } = await resolveAsPreviewed(experiment, first, async (x) => ({
        spec: specOf(x, first),
      })));
    }
    let populationPlanned = false;
    for (const date of options.dates) {
      let spec: AnalysisSpec;
      try {
        spec = specOf(experiment, date);
      } catch (error) {
        // Not launched, and its SQL reads {{experiment.start_date_str}}: nothing is due on any
        // date, as for every experiment without a start date, rather than the template's error.
        // (On a generated population it was given a start date above.)
        const undated =
          error instanceof ConfigError && !options.generatePopulation
            ? await undatedSpec(experiment, date, async (x) => ({ spec: specOf(x, date) }))
            : null;
        if (undated === null) throw error;
        days.push({ date, queries: [], nothingDue: nothingDueReason(undated, date) });
        continue;
      }
      const sampled = options.sampleSize ? { ...spec, sampleSize: options.sampleSize } : spec;
      const plan = planAnalysis(sampled, date, {
        dataset: options.dataset,
        dialect,
        ...(options.periods ? { periods: options.periods } : {}),
      });
      let enrollments = plan.enrollments;
      if (options.generatePopulation && last !== undefined) {
        const due = plan.enrollments !== null || plan.metrics.length > 0;
        enrollments =
          due && !populationPlanned
            ? planPopulationSample(
                { spec: sampled, dataset: options.dataset, dialect },
                { date: last, sampleSize: sampled.sampleSize ?? 1 },
              )
            : null;
        populationPlanned ||= due;
      }
      // A config that says skip = true runs nothing on any date, as the analysis (dueWork) does.
      const queries = sampled.skip
        ? []
        : [...(enrollments ? [enrollments] : []), ...plan.metrics, ...plan.statisticInputs];
      days.push({ date, queries, nothingDue: queries.length === 0 ? nothingDueReason(sampled, date) : null });
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PlanError) throw new CliError(error.message);
    throw error;
  }
  return days;
}

/** One query's entry of the provenance map: where it is, what it writes, and its config fragments' lines. */
function queryProvenance(q: PlannedQuery, file: string, date: IsoDate): SqlQueryProvenance {
  return {
    file,
    destination: { dataset: q.destination.dataset, table: q.destination.table },
    analysisDate: date,
    period: q.period ?? null,
    windowIndex: q.windowIndex ?? null,
    analysisBasis: q.analysisBasis ?? null,
    metrics: [...new Set((q.metrics ?? []).map((m) => m.name))],
    references: (q.references ?? []).map((r) => ({
      column: r.column,
      sqlLines: r.lines,
      config: r.provenance,
    })),
  };
}
