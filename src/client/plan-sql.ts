import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnalysisPeriod } from '../config/spec.js';
import type { IsoDate } from '../experiments/experiment.js';
import type { Dialect } from '../warehouse/warehouse.js';
import { CliError } from './errors.js';

export interface PlanSqlOptions {
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
  /** Write `<dir>/<table>.sql` (per date `<dir>/<date>/…` when several dates); null = only list. */
  outputDir: string | null;
}

/**
 * Renders — without running — every query the analysis of `slug` on `dates` runs, as
 * `contrail plan` and `preview --sql-output-dir` show them. Returns `table<TAB>file` lines.
 */
export async function planSql(options: PlanSqlOptions): Promise<string[]> {
  const { localExperimentSource, ExperimentsFileError } = await import('../experiments/source.js');
  const { loadConfigCollection } = await import('../config/collection.js');
  const { resolveAnalysisSpec } = await import('../config/resolve.js');
  const { ConfigError } = await import('../config/problems.js');
  const { planAnalysis } = await import('../sql/plan/analysis.js');
  const { PlanError } = await import('../sql/plan/common.js');
  const { sqlDialect } = await import('../sql/render/dialects.js');
  const dialect = sqlDialect(options.dialect ?? 'duckdb', {
    bigquery: { project: process.env.CONTRAIL_BIGQUERY_PROJECT || null },
  });

  let experiments: Awaited<ReturnType<ReturnType<typeof localExperimentSource>['list']>>;
  try {
    experiments = await localExperimentSource(options.experimentsFile).forPreview().list();
  } catch (error) {
    if (error instanceof ExperimentsFileError) throw new CliError(error.message);
    throw error;
  }
  const experiment = experiments.find((e) => e.slug === options.slug);
  if (!experiment) {
    const known = experiments.map((e) => e.slug).join(', ') || 'none';
    throw new CliError(
      `--experiment_slug: no experiment "${options.slug}" in ${options.experimentsFile} (known: ${known})`,
    );
  }
  const lines: string[] = [];
  try {
    const collection = await loadConfigCollection({ repos: options.configRepos });
    for (const date of options.dates) {
      const { spec } = resolveAnalysisSpec(collection, experiment, {
        asOfDate: date,
        ...(options.configFile ? { configFile: options.configFile } : {}),
      });
      const sampled = options.sampleSize ? { ...spec, sampleSize: options.sampleSize } : spec;
      const plan = planAnalysis(sampled, date, {
        dataset: options.dataset,
        dialect,
        ...(options.periods ? { periods: options.periods } : {}),
      });
      const queries = [
        ...(plan.enrollments ? [plan.enrollments] : []),
        ...plan.metrics,
        ...plan.statisticInputs,
      ];
      const dir =
        options.outputDir && (options.dates.length > 1 ? join(options.outputDir, date) : options.outputDir);
      if (dir && queries.length) await mkdir(dir, { recursive: true });
      if (queries.length === 0) lines.push(`nothing to compute for ${options.slug} on ${date}`);
      for (const q of queries) {
        const file = dir ? join(dir, `${q.destination.table}.sql`) : null;
        if (file) await writeFile(file, q.sql);
        lines.push(`${q.destination.dataset}.${q.destination.table}${file ? `\t${file}` : ''}`);
      }
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PlanError) throw new CliError(error.message);
    throw error;
  }
  return lines;
}
