import type { CommandModule } from 'yargs';
import type { WaitingRun } from '../../activities/types.js';
import type { AnalysisResult } from '../../workflows/analyze.js';
import type { BackfillResult } from '../../workflows/backfill.js';
import type { DailyAnalysisResult } from '../../workflows/daily.js';
import { workflowIds } from '../../workflows/ids.js';
import { AnalyzeExperimentInput, BackfillInput, DailyAnalysisInput } from '../../workflows/inputs.js';
import { CliError } from '../errors.js';
import { formatHeadline, formatPin, formatStatisticsTable } from '../format.js';
import {
  type CommonArgs,
  checkedInput,
  commonOptions,
  readConfigFile,
  runWorkflowCommand,
  type VersionArgs,
  versionFields,
  versionOptions,
} from '../workflow-command.js';

interface RunArgs extends CommonArgs, VersionArgs {
  date: string;
  experiment_slug?: string[];
}

export function describeAnalysis(r: AnalysisResult): string {
  if (r.status === 'nothing-due')
    return `${r.slug} ${r.date}: nothing due (${r.reason ?? 'no window completes'})`;
  const lines = [`${r.slug} ${r.date}: analysed with ${formatPin(r.pin)}`];
  if (r.enrollments)
    lines.push(
      `  ${r.enrollments.table}: ${r.enrollments.rows} clients${r.enrollments.created ? '' : ' (kept)'}`,
    );
  for (const s of r.statistics) lines.push(`  ${formatStatisticsTable(s)}`, ...formatHeadline(s));
  return lines.join('\n');
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe: 'Analyse experiments for one date: the given ones, or every eligible one (the daily run)',
  builder: (y) =>
    versionOptions(commonOptions(y))
      .option('date', { type: 'string', demandOption: true, describe: 'Analysis date (YYYY-MM-DD)' })
      .option('experiment_slug', {
        alias: 'experiment-slug',
        type: 'string',
        array: true,
        describe: 'Experiments to analyse (default: every eligible experiment, as the daily run)',
      })
      .option('config_file', {
        alias: 'config-file',
        type: 'string',
        describe: 'Custom experiment config (TOML) to use',
      }),
  handler: async (args) => {
    const dataset = args.dataset_id ?? 'contrail';
    const slugs = args.experiment_slug ?? [];
    if (slugs.length === 0) {
      const input = checkedInput(
        DailyAnalysisInput,
        {
          date: args.date,
          dataset,
          periods: args.analysis_periods ?? null,
          lenient: args.lenient,
          ...versionFields(args),
        },
        'dailyAnalysis',
      );
      await runWorkflowCommand({
        workflowType: 'dailyAnalysis',
        workflowId: workflowIds.daily(args.date),
        input,
        summary: `daily analysis for ${args.date}`,
        args,
        describe: (r) => {
          const d = r as DailyAnalysisResult;
          return [
            `daily analysis ${d.date}: ${d.analyzed.length} analysed, ${d.failed.length} failed`,
            ...d.analyzed.map(
              (a) =>
                `  ok    ${a.slug} (${a.status}, ${a.statisticsTables} statistics tables, contrail ${a.toolVersion})`,
            ),
            ...d.failed.map((f) => `  FAIL  ${f.slug}: ${f.errorType}: ${f.message}`),
            ...d.reran.map((r) => `  rerun ${r.slug}: its config changed (${r.changed.join(', ')})`),
            ...describeWaits(d.waited),
          ].join('\n');
        },
      });
      return;
    }
    const configOverride = await readConfigFile(args.config_file);
    if (configOverride !== null) {
      if (slugs.length !== 1) throw new CliError('--config_file applies to one --experiment_slug', 2);
      // A custom config is one analysis started as it is: it runs where it starts (embedded,
      // or the deployment's current version) and refuses a pin to another build unless told
      // --use-latest / --use-version.
      const input = checkedInput(
        AnalyzeExperimentInput,
        {
          slug: slugs[0],
          date: args.date,
          dataset,
          periods: args.analysis_periods ?? null,
          lenient: args.lenient,
          configOverride,
          ...versionFields(args),
        },
        'analyzeExperiment',
      );
      await runWorkflowCommand({
        workflowType: 'analyzeExperiment',
        workflowId: workflowIds.analysis(input.slug, input.date, dataset),
        input,
        summary: `analysis of ${input.slug} on ${input.date}`,
        args,
        describe: (r) => describeAnalysis(r as AnalysisResult),
      });
      return;
    }
    // Each experiment on its pinned build: a one-day backfill starts each analysis there (and
    // says which wait for a worker of their version).
    const input = checkedInput(
      BackfillInput,
      {
        slugs,
        startDate: args.date,
        endDate: args.date,
        dataset,
        periods: args.analysis_periods ?? null,
        lenient: args.lenient,
        ...versionFields(args),
      },
      'backfill',
    );
    const only = slugs.length === 1 ? (slugs[0] as string) : null;
    await runWorkflowCommand({
      workflowType: 'backfill',
      workflowId: workflowIds.backfill(slugs, args.date, args.date),
      input,
      summary: only
        ? `analysis of ${only} on ${args.date}`
        : `analysis of ${slugs.length} experiments on ${args.date}`,
      args,
      // One experiment: its analysis's own result, as when it ran alone.
      ...(only
        ? {
            resultOf: async (client, result) => {
              const failed = (result as BackfillResult).failed[0];
              if (failed) throw new CliError(`${only} ${args.date}: ${failed.errorType}: ${failed.message}`);
              return await client.workflow.getHandle(workflowIds.analysis(only, args.date, dataset)).result();
            },
            describe: (r: unknown) => describeAnalysis(r as AnalysisResult),
          }
        : { describe: (r: unknown) => describeBackfill(r as BackfillResult) }),
    });
  },
};

/** `waited for a worker of 0.1.0+v1 since …`: analyses that waited for their pinned build. */
export function describeWaits(waited: readonly WaitingRun[]): string[] {
  return waited.map(
    (w) =>
      `  waited ${w.slug}${w.date ? ` ${w.date}` : ''}: for a worker of contrail ${w.toolVersion ?? 'the current version'} since ${w.since}`,
  );
}

export function describeBackfill(b: BackfillResult): string {
  return [
    `${b.total} experiment-days: ${b.analyzed} analysed, ${b.nothingDue} with nothing due, ${b.failed.length} failed`,
    ...Object.entries(b.pins).map(
      ([slug, p]) => `  ${slug}: contrail ${p.toolVersion}, config ${p.configCommit ?? 'working tree'}`,
    ),
    ...b.failed.map((f) => `  FAIL  ${f.slug} ${f.date}: ${f.errorType}: ${f.message}`),
    ...describeWaits(b.waited),
  ].join('\n');
}
