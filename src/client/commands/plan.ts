import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { z } from 'zod';
import { Experiment, IsoDate } from '../../experiments/experiment.js';
import { CliError } from '../errors.js';

interface PlanArgs {
  experiment_slug: string;
  date: string;
  sql_output_dir?: string;
  config_repos?: string[];
  config_file?: string;
  experiments_file: string;
  dataset: string;
}

const DEFAULT_EXPERIMENTS_FILE = join(import.meta.dirname, '..', '..', 'sample', 'experiments.json');

/**
 * Minimal reader for an Experimenter v8 JSON list (the local experiments file), used until
 * src/experiments has one: only the fields the analysis needs. v8 carries no status, so it is
 * derived as jetstream does: no start date → draft; no end date or one in the future → live.
 */
const V8Experiment = z.object({
  slug: z.string().min(1),
  appName: z.string().min(1),
  appId: z.string().nullable().optional(),
  channel: z.string().nullable().optional(),
  branches: z.array(z.object({ slug: z.string().min(1), ratio: z.number().nonnegative().default(1) })).min(1),
  referenceBranch: z.string().nullable().optional(),
  startDate: IsoDate.nullable().optional(),
  endDate: IsoDate.nullable().optional(),
  enrollmentEndDate: IsoDate.nullable().optional(),
  proposedEnrollment: z.number().int().nonnegative().nullable().optional(),
  proposedDuration: z.number().int().nonnegative().nullable().optional(),
  isRollout: z.boolean().optional(),
  isEnrollmentPaused: z.boolean().optional(),
  isHighPopulation: z.boolean().optional(),
  outcomes: z.array(z.object({ slug: z.string() })).optional(),
  featureIds: z.array(z.string()).optional(),
});

async function readExperiment(file: string, slug: string): Promise<Experiment> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new CliError(
      `cannot read experiments file ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const list = Array.isArray(raw) ? raw : [];
  const found = list.find(
    (e: unknown) => typeof e === 'object' && e !== null && (e as { slug?: unknown }).slug === slug,
  );
  if (!found) {
    const known = list
      .map((e: { slug?: unknown }) => e.slug)
      .filter((s): s is string => typeof s === 'string');
    throw new CliError(
      `--experiment_slug: no experiment ${JSON.stringify(slug)} in ${file} (known: ${known.join(', ') || 'none'})`,
    );
  }
  const parsed = V8Experiment.safeParse(found);
  if (!parsed.success) {
    throw new CliError(
      `experiment ${slug} in ${file} is not valid Experimenter v8 JSON: ${z.prettifyError(parsed.error)}`,
    );
  }
  const v8 = parsed.data;
  const today = new Date().toISOString().slice(0, 10);
  const status = !v8.startDate ? 'draft' : !v8.endDate || v8.endDate > today ? 'live' : 'complete';
  return Experiment.parse({
    slug: v8.slug,
    appName: v8.appName,
    appId: v8.appId ?? null,
    channel: v8.channel ?? null,
    status,
    branches: v8.branches,
    referenceBranch: v8.referenceBranch ?? null,
    startDate: v8.startDate ?? null,
    endDate: v8.endDate ?? null,
    enrollmentEndDate: v8.enrollmentEndDate ?? null,
    proposedEnrollment: v8.proposedEnrollment ?? null,
    proposedDuration: v8.proposedDuration ?? null,
    isRollout: v8.isRollout ?? false,
    isEnrollmentPaused: v8.isEnrollmentPaused ?? false,
    isHighPopulation: v8.isHighPopulation ?? false,
    outcomes: (v8.outcomes ?? []).map((o) => o.slug),
    featureIds: v8.featureIds ?? [],
  });
}

export const planCommand: CommandModule<object, PlanArgs> = {
  command: 'plan',
  describe: "Render (without running) every query of an experiment's analysis on a date, one file per table",
  builder: (yargs: Argv) =>
    yargs
      .option('experiment_slug', {
        alias: 'experiment-slug',
        type: 'string',
        demandOption: true,
        describe: 'Experiment slug',
      })
      .option('date', { type: 'string', demandOption: true, describe: 'Analysis date, YYYY-MM-DD' })
      .option('sql_output_dir', {
        alias: 'sql-output-dir',
        type: 'string',
        describe: 'Write each query to <dir>/<table>.sql',
      })
      .option('config_repos', {
        alias: 'config-repos',
        type: 'array',
        string: true,
        describe: 'Config repos (metric-hub layout), later ones override earlier ones',
      })
      .option('config_file', {
        alias: 'config-file',
        type: 'string',
        describe: 'Custom experiment config (TOML) instead of the repo one',
      })
      .option('experiments_file', {
        alias: 'experiments-file',
        type: 'string',
        default: DEFAULT_EXPERIMENTS_FILE,
        describe: 'Experimenter v8 JSON list',
      })
      .option('dataset', {
        type: 'string',
        default: 'contrail',
        describe: 'Dataset the result tables are written to',
      }) as unknown as Argv<PlanArgs>,
  handler: async (args: ArgumentsCamelCase<PlanArgs>) => {
    const date = IsoDate.safeParse(args.date);
    if (!date.success)
      throw new CliError(`--date: expected a real date as YYYY-MM-DD, got ${JSON.stringify(args.date)}`, 2);
    const { loadConfigCollection, defaultConfigRepos } = await import('../../config/collection.js');
    const { resolveAnalysisSpec } = await import('../../config/resolve.js');
    const { ConfigError } = await import('../../config/problems.js');
    const { planAnalysis } = await import('../../sql/plan/analysis.js');
    const { PlanError } = await import('../../sql/plan/common.js');

    const experiment = await readExperiment(args.experiments_file, args.experiment_slug);
    const repos =
      args.config_repos && args.config_repos.length > 0 ? args.config_repos : defaultConfigRepos();
    let plan: ReturnType<typeof planAnalysis>;
    try {
      const collection = await loadConfigCollection({ repos });
      const { spec } = resolveAnalysisSpec(collection, experiment, {
        asOfDate: date.data,
        ...(args.config_file ? { configFile: args.config_file } : {}),
      });
      plan = planAnalysis(spec, date.data, { dataset: args.dataset });
    } catch (error) {
      if (error instanceof ConfigError || error instanceof PlanError) throw new CliError(error.message);
      throw error;
    }
    const queries = [
      ...(plan.enrollments ? [plan.enrollments] : []),
      ...plan.metrics,
      ...plan.statisticInputs,
    ];
    if (queries.length === 0) {
      process.stdout.write(`nothing to compute for ${experiment.slug} on ${date.data}\n`);
      return;
    }
    if (args.sql_output_dir) await mkdir(args.sql_output_dir, { recursive: true });
    for (const q of queries) {
      const file = args.sql_output_dir ? join(args.sql_output_dir, `${q.destination.table}.sql`) : null;
      if (file) await writeFile(file, q.sql);
      process.stdout.write(`${q.destination.dataset}.${q.destination.table}${file ? `\t${file}` : ''}\n`);
    }
  },
};
