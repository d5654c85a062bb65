import type { CommandModule } from 'yargs';
import { plural } from '../../plural.js';
import { DEFAULT_SAMPLE_OPTIONS as DEFAULTS, MAX_SAMPLE_SEED } from '../../sample/defaults.js';
import { CliError } from '../errors.js';
import { onInterrupt } from '../interrupt.js';
import { checkedSeed } from '../option-values.js';
import { experimentsFileOption, repeatable, sharedTextOption } from '../options.js';

interface SampleArgs {
  clients: number;
  days: number;
  seed: number;
  start_date: string;
  effect?: string[];
  experiments_file?: string;
}

export const sampleCommand: CommandModule<object, SampleArgs> = {
  command: 'sample',
  describe:
    'Write synthetic Mozilla-shaped telemetry (clients_daily, events, events_stream, baseline) into the embedded warehouse; defaults cover the demo experiment contrail-demo-sidebar',
  builder: (yargs) =>
    yargs
      .option('clients', { type: 'number', default: DEFAULTS.clients, describe: 'Number of clients' })
      .option('days', {
        type: 'number',
        default: DEFAULTS.days,
        describe: 'Number of days of telemetry from --start_date',
      })
      .option('seed', { type: 'number', default: DEFAULTS.seed, describe: 'Seed: same seed, same tables' })
      .option('start_date', {
        ...sharedTextOption(
          'start_date',
          'First day of telemetry (YYYY-MM-DD); the default is 28 days before the demo starts',
        ),
        default: DEFAULTS.startDate,
        describe: 'First day of telemetry (YYYY-MM-DD); the default is 28 days before the demo starts',
      })
      .option(
        'experiments_file',
        experimentsFileOption(
          'Experimenter v8 JSON file whose launched firefox_desktop experiments clients enroll in (default: CONTRAIL_EXPERIMENTS_FILE or the demo experiments)',
        ),
      )
      .option(
        'effect',
        repeatable(
          'True effect to plant, <experiment>:<branch>:<metric>=<relative change> (e.g. contrail-demo-sidebar:treatment-a:active_hours=0.2); repeatable',
        ),
      ),
  handler: async (args) => {
    const { generateSample, SampleOptions } = await import('../../sample/generate.js');
    const { checkedInput } = await import('../workflow-command.js');
    // The numbers and the date are checked before the warehouse is opened: a usage error (exit 2)
    // naming the option as typed, not the generator's field.
    checkedSeed(args.seed, MAX_SAMPLE_SEED);
    checkedInput(
      SampleOptions,
      { clients: args.clients, days: args.days, seed: args.seed, startDate: args.start_date },
      'sample',
      { clients: '--clients', days: '--days', seed: '--seed', startDate: '--start_date' },
    );
    const { defaultSampleExperiments } = await import('../../sample/population.js');
    const { withEffects } = await import('../../sample/effects.js');
    const { defaultExperimentsFile } = await import('../../experiments/source.js');
    let experiments: ReturnType<typeof defaultSampleExperiments>;
    try {
      experiments = defaultSampleExperiments(args.experiments_file ?? defaultExperimentsFile());
    } catch (error) {
      if (error instanceof RangeError) throw new CliError(error.message);
      throw error;
    }
    try {
      experiments = withEffects(experiments, args.effect ?? []);
    } catch (error) {
      // An --effect no experiment, branch or metric of the sample has is a bad argument (exit 2).
      if (error instanceof RangeError) throw new CliError(error.message, 2);
      throw error;
    }
    const { refuseWhileAnalysing } = await import('../claims.js');
    const { warehouseFile } = await import('../../paths.js');
    const { embeddedWarehouse, mozdataFile } = await import('../../warehouse/duckdb-sessions.js');
    // The claims are kept beside the warehouse file; the telemetry replaced is the file beside it.
    refuseWhileAnalysing(warehouseFile(), `contrail sample would replace the telemetry in ${mozdataFile()}`);
    const { warehouseKind } = await import('../../settings.js');
    if (warehouseKind() === 'bigquery') {
      // The sample is the embedded warehouse's telemetry: said, lest a BigQuery user think their
      // previews will read it.
      process.stderr.write(
        `contrail: the sample goes to the embedded warehouse (${mozdataFile()}), not to BigQuery: with CONTRAIL_WAREHOUSE=bigquery, previews and runs read your project's tables\n`,
      );
    }
    const { sessions } = embeddedWarehouse();
    const started = Date.now();
    // Ctrl-C stops the running query; the tables staged so far are dropped (generateSample).
    const abort = new AbortController();
    let interrupted: NodeJS.Signals | null = null;
    const stopInterrupts = onInterrupt(async (signal) => {
      interrupted = signal;
      abort.abort(new Error(`interrupted (${signal})`));
    });
    try {
      // One session for the whole sample: its tables are written together, and other commands wait.
      const summary = await sessions.use((warehouse) =>
        generateSample(
          warehouse,
          {
            clients: args.clients,
            days: args.days,
            seed: args.seed,
            startDate: args.start_date,
            experiments,
          },
          {
            onStep: ({ table, index, total }) => {
              const elapsed = ((Date.now() - started) / 1000).toFixed(1);
              process.stderr.write(`[${index + 1}/${total}] ${table} (${elapsed} s)\n`);
            },
            signal: abort.signal,
          },
        ),
      );
      process.stdout.write(
        `sample: ${plural(summary.clients, 'client')}, ${summary.startDate} … ${summary.endDate} (${plural(summary.days, 'day')}), seed ${summary.seed}\n`,
      );
      process.stdout.write(`experiments: ${summary.experiments.join(', ')}\n`);
      process.stdout.write(`written to ${mozdataFile()}\n`);
      const width = Math.max(...summary.tables.map((t) => t.table.length));
      for (const t of summary.tables)
        process.stdout.write(`  ${t.table.padEnd(width)}  ${plural(t.rows, 'row')}\n`);
      process.stdout.write(`${summary.seconds.toFixed(1)} s\n`);
    } catch (error) {
      if (interrupted) {
        throw new CliError(
          `interrupted (${interrupted}): no sample written; the warehouse holds what it held before`,
          130,
        );
      }
      // Bad options are the user's to fix: one line, exit 1.
      if (error instanceof RangeError) throw new CliError(error.message);
      throw error;
    } finally {
      stopInterrupts();
      await sessions.close();
    }
  },
};
