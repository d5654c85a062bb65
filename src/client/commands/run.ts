import type { CommandModule } from 'yargs';
import type { AnalysisResult } from '../../workflows/analyze.js';
import type { BackfillResult } from '../../workflows/backfill.js';
import type { DailyAnalysisResult } from '../../workflows/daily.js';
import { workflowIds } from '../../workflows/ids.js';
import { AnalyzeExperimentInput, BackfillInput, DailyAnalysisInput } from '../../workflows/inputs.js';
import { formatHeadline, formatPin, formatStatisticsTable } from '../format.js';
import {
  type CommonArgs,
  checkedInput,
  commonOptions,
  readConfigFile,
  runWorkflowCommand,
} from '../workflow-command.js';

interface RunArgs extends CommonArgs {
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
    commonOptions(y)
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
      const input = checkedInput(DailyAnalysisInput, { date: args.date, dataset }, 'dailyAnalysis');
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
              (a) => `  ok    ${a.slug} (${a.status}, ${a.statisticsTables} statistics tables)`,
            ),
            ...d.failed.map((f) => `  FAIL  ${f.slug}: ${f.errorType}: ${f.message}`),
          ].join('\n');
        },
      });
      return;
    }
    const configOverride = await readConfigFile(args.config_file);
    if (slugs.length === 1) {
      const input = checkedInput(
        AnalyzeExperimentInput,
        {
          slug: slugs[0],
          date: args.date,
          dataset,
          periods: args.analysis_periods ?? null,
          lenient: args.lenient,
          configOverride,
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
    // Several experiments, one date: a one-day backfill runs them side by side.
    const input = checkedInput(
      BackfillInput,
      {
        slugs,
        startDate: args.date,
        endDate: args.date,
        dataset,
        periods: args.analysis_periods ?? null,
        lenient: args.lenient,
      },
      'backfill',
    );
    await runWorkflowCommand({
      workflowType: 'backfill',
      workflowId: workflowIds.backfill(slugs, args.date, args.date),
      input,
      summary: `analysis of ${slugs.length} experiments on ${args.date}`,
      args,
      describe: (r) => describeBackfill(r as BackfillResult),
    });
  },
};

export function describeBackfill(b: BackfillResult): string {
  return [
    `${b.total} experiment-days: ${b.analyzed} analysed, ${b.nothingDue} with nothing due, ${b.failed.length} failed`,
    ...b.failed.map((f) => `  FAIL  ${f.slug} ${f.date}: ${f.errorType}: ${f.message}`),
  ].join('\n');
}
