import type { Argv } from 'yargs';
import { ANALYSIS_PERIODS, type AnalysisPeriod, PERIOD_CONFIG_KEYS } from '../config/periods.js';
import { notConfigRepo } from '../config/repo-layout.js';
import { unreadableFile } from '../paths.js';
import { closestName } from '../suggest.js';

// The options of the commands, apart from what running them needs: the CLI builds its parser
// (help, usage errors) from these, so this module imports nothing but yargs' types, the name
// suggestions, the analysis periods' names, what a config repo holds and why a file cannot be
// read (the checks the parser runs); the other checks of a value (option-values.ts) are loaded
// when it is checked.

/** Options of every command that runs a workflow (the analyses, `rerun-skip`, `versions`). */
export interface WorkflowArgs {
  config_repos?: string[];
  config_file?: string;
  dataset_id?: string;
  project_id?: string;
  /** Only the commands that offer it (see detachOption). */
  detach?: boolean;
  json: boolean;
  experiments_file?: string;
  /** Experimenter's address for the embedded worker (preview only). */
  experimenter_url?: string;
  verbose?: boolean;
}

/** Options every analysis command shares, with jetstream's names (both spellings). */
export interface CommonArgs extends WorkflowArgs {
  analysis_periods?: string[];
  detach: boolean;
  lenient: boolean;
}

/**
 * A repeatable option: one value per flag, as jetstream's click options take them
 * (`--config_repos a --config_repos b`), so a positional argument after it stays positional.
 */
export function repeatable(describe: string) {
  return { type: 'string', array: true, nargs: 1, requiresArg: true, describe } as const;
}

/**
 * The names each option several commands take answers to besides its key, kept alike on every
 * command that takes it: both spellings (`x_y` and `x-y`, as jetstream's click options take
 * them) and the short names some command gave it first (`--slug`, `--dataset`), so that what
 * works on one command works on all.
 */
const SHARED_ALIASES = {
  /** One experiment (several: experimentSlugsOption). */
  experiment_slug: ['experiment-slug', 'slug'],
  /** Checked as a command uses it (resultsDataset, givenDataset). */
  dataset_id: ['dataset-id', 'dataset'],
  /** The warehouse project, on BigQuery. */
  project_id: ['project-id'],
  config_repos: ['config-repos'],
  /** An experiment config (TOML) in place of the repo one. */
  config_file: ['config-file'],
  experiments_file: ['experiments-file'],
  /** Where a command writes its queries (or, `dashboard`, reads them). */
  sql_output_dir: ['sql-output-dir'],
  /** A command's first and last dates (YYYY-MM-DD, checked by the command). */
  start_date: ['start-date'],
  end_date: ['end-date'],
  follow: ['wait'],
} as const;

/** The text options several commands share that need nothing but their names: `--dataset_id`, `--start_date`, … */
type SharedText =
  | 'experiment_slug'
  | 'dataset_id'
  | 'project_id'
  | 'config_file'
  | 'sql_output_dir'
  | 'start_date'
  | 'end_date';

/** A shared text option under its every name, with what it means to this command. */
export function sharedTextOption(name: SharedText, describe: string) {
  return { alias: SHARED_ALIASES[name], type: 'string', describe } as const;
}

/**
 * `--experiment_slug` where a command takes several (`run`, `backfill`): repeatable, each
 * experiment once however often it is given, as it is analysed once; counted twice, a backfill
 * reported each of its days twice (`2 experiment-days, done 1/2`).
 */
export function experimentSlugsOption(describe: string) {
  return {
    alias: SHARED_ALIASES.experiment_slug,
    ...repeatable(describe),
    coerce: (given: string[]): string[] => [...new Set(given)],
  } as const;
}

/**
 * `--follow` (`--wait`): whether a command that looks at a workflow on a cluster (`status`,
 * `cancel`) waits for it to end; `--no-follow` or `--no-wait` returns at once.
 */
export function followOption(describe: string) {
  return { alias: SHARED_ALIASES.follow, type: 'boolean', default: true, describe } as const;
}

/**
 * `--config_repos`, as every command that reads config repos takes it: each checked as the
 * command line is read (a usage error naming it, saying what a config repo holds), since the
 * worker would find it missing only after the embedded server had started, and a directory that
 * holds no config (`/tmp`) only as an analysis found no definitions for its platform.
 */
export function configReposOption(describe: string) {
  return {
    alias: SHARED_ALIASES.config_repos,
    ...repeatable(describe),
    coerce: (given: string[]): string[] => {
      for (const repo of given) {
        const problem = notConfigRepo(repo);
        if (problem !== null) throw new Error(`--config_repos ${repo}: ${problem}`);
      }
      return given;
    },
  } as const;
}

/**
 * `--experiments_file`, as every command that reads one takes it: checked as the command line is
 * read (a usage error naming it), since the worker would find it missing or a directory only
 * after the embedded server had started and the workflow had begun.
 */
export function experimentsFileOption(describe: string) {
  return {
    alias: SHARED_ALIASES.experiments_file,
    type: 'string',
    describe,
    coerce: (given: string): string => {
      // No value at all is the parser's check to name (`needs a value`).
      const problem = given === '' ? null : unreadableFile(given, 'an experiments file');
      if (problem !== null)
        throw new Error(`--experiments_file ${given}: ${problem} (expected an Experimenter v8 JSON file)`);
      return given;
    },
  } as const;
}

/**
 * `--experimenter_url`: an http:// or https:// address, checked as the command line is read (a
 * usage error naming it), since the worker would refuse it only once the embedded server had
 * started, naming the setting it stands in for (CONTRAIL_EXPERIMENTER_URL).
 */
export function experimenterUrlOption(describe: string) {
  return {
    alias: 'experimenter-url',
    type: 'string',
    describe,
    coerce: (given: string): string => {
      const url = given === '' ? null : URL.parse(given);
      // No value at all is the parser's check to name (`needs a value`).
      if (given !== '' && (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')))
        throw new Error(
          `--experimenter_url ${given}: expected an http:// or https:// address, e.g. https://experimenter.services.mozilla.com`,
        );
      return given;
    },
  } as const;
}

/**
 * What a usage error says of a value that is not among `valid`: the value meant, when `meant`
 * names it (another spelling people use for it) or the value looks like a typo of one, and the
 * valid ones. `what` is the option as the help spells it (`--dialect`).
 */
export function invalidChoice(
  what: string,
  given: string,
  valid: readonly string[],
  meant: Readonly<Record<string, string>> = {},
): string {
  const expected = `expected one of ${valid.join(', ')}`;
  const suggestion = Object.hasOwn(meant, given) ? meant[given] : closestName(given, valid);
  return `${what} ${given}: ${suggestion ? `did you mean ${suggestion}? (${expected})` : expected}`;
}

/**
 * An option (or positional) that takes one of `values`: the help lists them, and any other
 * value is a usage error (exit 2) saying which value was meant (see invalidChoice).
 */
export function choiceOf<const V extends string>(
  what: string,
  values: readonly V[],
  meant: Readonly<Record<string, V>> = {},
) {
  return {
    choices: values,
    // The parser's own check of `choices` names neither the value meant nor the option as typed.
    coerce: (given: string): V => {
      if ((values as readonly string[]).includes(given)) return given as V;
      throw new Error(invalidChoice(what, String(given), values, meant));
    },
  };
}

/** A config file's names for the periods (`[metrics] weekly = […]`), which people give `--analysis_periods` too. */
const PERIOD_CONFIG_NAMES: Readonly<Record<string, AnalysisPeriod>> = Object.fromEntries(
  Object.entries(PERIOD_CONFIG_KEYS).filter(([name, period]) => name !== period),
);

/** `--use-latest` / `--use-version`: the commands that analyse an experiment on its pinned build. */
export interface VersionArgs {
  /** Not offered by `rerun`, which analyses on the latest release anyway. */
  'use-latest'?: boolean;
  'use-version'?: string;
}

const useVersion = (describe: string) => ({ alias: 'use_version', type: 'string', describe }) as const;

export function versionOptions<T>(y: Argv<T>) {
  return y
    .option('use-latest', {
      alias: 'use_latest',
      type: 'boolean',
      default: false,
      describe:
        'Analyse on the latest contrail release instead of the one the experiment is pinned to (its anchor does not move)',
    })
    .option(
      'use-version',
      useVersion('Analyse on this contrail release (a version or a build id) instead of the pinned one'),
    );
}

/**
 * A rerun's `--use-version`: a rerun moves the anchor to now, which pins the experiment to the
 * latest release, so --use-latest would change nothing and is not offered.
 */
export function rerunVersionOption<T>(y: Argv<T>) {
  return y.option(
    'use-version',
    useVersion(
      'Recompute on this contrail release (a version or a build id) instead of the latest; the anchor moves to now either way',
    ),
  );
}

/**
 * The workflow input fields of `--use-latest` / `--use-version`, checked before anything starts:
 * both at once, or (in embedded mode, whose releases are this package's manifest) a version
 * no release has, is a usage error (exit 2) rather than a failed run under the work's id.
 */
export async function versionFields(
  args: VersionArgs,
): Promise<{ useLatest: boolean; useVersion: string | null }> {
  const wanted = args['use-version'];
  const { CliError } = await import('./errors.js');
  if (args['use-latest'] && wanted !== undefined) {
    throw new CliError(`--use-latest and --use-version ${wanted} contradict each other: give one of them`, 2);
  }
  const { runtimeSettings } = await import('../settings.js');
  if (wanted !== undefined && !runtimeSettings().temporalAddress) {
    const { loadReleaseManifest, releasesFromManifest } = await import('../versions/manifest.js');
    const { releaseNamed } = await import('../versions/resolve.js');
    const { currentToolVersion } = await import('../versions/tool-version.js');
    const { UnknownReleaseError } = await import('../versions/release.js');
    try {
      releaseNamed(releasesFromManifest(loadReleaseManifest(), currentToolVersion()), wanted);
    } catch (error) {
      if (error instanceof UnknownReleaseError)
        throw new CliError(error.message.replace(/^use-version=\S+/, `--use-version ${wanted}`), 2);
      throw error;
    }
  }
  return { useLatest: args['use-latest'] ?? false, useVersion: wanted ?? null };
}

/**
 * What every analysing command (run, backfill, rerun) passes its workflow from the shared
 * options: the results dataset, the periods, --lenient and the version override.
 */
export async function analysisFields(args: CommonArgs & VersionArgs) {
  const { resultsDataset } = await import('./option-values.js');
  return {
    dataset: resultsDataset(args.dataset_id),
    periods: args.analysis_periods ?? null,
    lenient: args.lenient,
    ...(await versionFields(args)),
  };
}

const periodChoice = choiceOf('--analysis_periods', ANALYSIS_PERIODS, PERIOD_CONFIG_NAMES);
/** Each value of the repeatable --analysis_periods is one of the periods. */
const periodChoices = {
  choices: periodChoice.choices,
  coerce: (given: string[]) => given.map(periodChoice.coerce),
};

/** Where a command's `--dataset_id` defaults to when it reads or writes the results dataset (resultsDataset). */
export const RESULTS_DATASET_DEFAULT = 'default: CONTRAIL_BIGQUERY_DATASET on BigQuery, else contrail';

/** What the commands that run a workflow say of their own options, where it differs between them. */
export interface WorkflowOptionTexts {
  /** The command takes a `--config_file`, whose metric-hub checkout is a default. */
  withConfigFile?: boolean;
  /** `--dataset_id`'s help, true for the command: what the dataset is to it and its default (default: the results dataset's). */
  dataset?: string;
}

/**
 * What every command that runs a workflow takes: where its embedded worker reads and writes,
 * and how the result is printed.
 */
export function workflowOptions<T>(y: Argv<T>, options: WorkflowOptionTexts = {}) {
  const checkout = options.withConfigFile ? ', else the metric-hub checkout the --config_file is in' : '';
  return y
    .option(
      'config_repos',
      configReposOption(
        `Config repo: a local directory, git checkout or plain (not a URL), repeatable, merged in order (default: CONTRAIL_CONFIG_REPOS${checkout}, else the demo repo)`,
      ),
    )
    .option(
      'dataset_id',
      sharedTextOption(
        'dataset_id',
        options.dataset ?? `Dataset for result tables (${RESULTS_DATASET_DEFAULT})`,
      ),
    )
    .option('project_id', sharedTextOption('project_id', 'Warehouse project (BigQuery only)'))
    .option(
      'experiments_file',
      experimentsFileOption(
        'Experimenter v8 JSON file (default: CONTRAIL_EXPERIMENTS_FILE or the demo experiments)',
      ),
    )
    .option('json', { type: 'boolean', default: false, describe: 'Print the workflow result as JSON' });
}

/** `--detach`: the commands whose work goes on without them (not a report read at once, as `versions`). */
export function detachOption<T>(y: Argv<T>) {
  return y.option('detach', {
    type: 'boolean',
    default: false,
    describe: 'Print the workflow id and Web UI link instead of waiting (needs TEMPORAL_ADDRESS)',
  });
}

/** The analysis commands' options: workflowOptions, the periods, how strictly configs are read, --detach. */
export function commonOptions<T>(y: Argv<T>, options: WorkflowOptionTexts = {}) {
  return detachOption(
    workflowOptions(y, options)
      .option('analysis_periods', {
        alias: 'analysis-periods',
        ...repeatable('Only this period, repeatable'),
        ...periodChoices,
      })
      .option('lenient', {
        type: 'boolean',
        default: false,
        describe: 'Unknown config keys are warnings, not errors',
      }),
  );
}

/** What `--verbose` adds, by command: each offers it only for what it adds there. */
const VERBOSE_SHOWS = {
  'sdk-warnings': "the Temporal SDK's warnings (retried activities, slow workflow tasks) on stderr",
  'ok-experiments': 'every experiment a daily report counts as ok (not only how many)',
} as const;

export function verboseOption<T>(y: Argv<T>, ...shows: (keyof typeof VERBOSE_SHOWS)[]) {
  return y.option('verbose', {
    type: 'boolean',
    default: false,
    describe: `Also show ${shows.map((s) => VERBOSE_SHOWS[s]).join(', and ')}`,
  });
}
