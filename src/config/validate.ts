import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Experiment } from '../experiments/experiment.js';
import type { ConfigCollection } from './collection.js';
import { type ConfigFileKind, FILE_KIND_NAMES } from './config-file.js';
import { parseConfigFile } from './parse.js';
import { choosePlatform, placeholderExperiment } from './platform.js';
import { ConfigError, type ConfigProblem, unknownKeyError } from './problems.js';
import { type ResolvedSpec, resolveAnalysisSpec } from './resolve.js';

export interface ValidationResult {
  file: string;
  /** Platform the file was checked for (experiment configs), else null. */
  platform: string | null;
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
  /** What the user should know about how the file was checked (a guessed platform). */
  notes: string[];
  /** The resolved spec of a valid experiment config, for checks that need it (its SQL). */
  resolved: ResolvedSpec | null;
}

export interface ValidateOptions {
  /** Platform of experiment configs; see choosePlatform when absent. */
  platform?: string;
  /** The experiment's record from the experiments source, when it has one. */
  experiment?: Experiment | null;
  lenient?: boolean;
}

/**
 * The files `contrail validate` checks for the paths it is given: a file as it is, a directory
 * as every `.toml` file under it (sorted, dot-directories such as `.git` skipped), as a
 * metric-hub checkout's own CI checks the whole repo. A directory holding none stays in the list,
 * so it is reported rather than passing silently.
 */
export function configFilesOf(paths: string[]): string[] {
  const under = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => !entry.name.startsWith('.'))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .flatMap((entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return under(path);
        return entry.isFile() && entry.name.endsWith('.toml') ? [path] : [];
      });
  return paths.flatMap((path) => {
    if (!existsSync(path) || !statSync(path).isDirectory()) return [path];
    const files = under(path);
    return files.length > 0 ? files : [path];
  });
}

/**
 * --platform chooses the platform of experiment configs only: a shared file's platform is its
 * place in the repo, so a --platform that differs would otherwise be dropped without a word.
 */
function platformOptionIgnored(
  kind: ConfigFileKind,
  platform: string | null,
  option: string | undefined,
): string[] {
  if (option === undefined || option === platform) return [];
  const what = FILE_KIND_NAMES[kind];
  return [
    platform === null
      ? `--platform ${option} does not apply to ${what}: it is shared by every platform`
      : `--platform ${option} does not apply to ${what}: its path makes it ${platform}'s, and it is checked as such`,
  ];
}

/**
 * Checks config files against a collection, as `contrail validate` does. An experiment
 * config is resolved in full, in place of the repo's own copy, for the experiment's record
 * when the experiments source has it, else for a placeholder experiment built from the file
 * (see placeholderExperiment). Defaults, definitions, outcome and functions files are parsed
 * and checked on their own (their unknown keys are errors unless lenient).
 */
export function validateConfigFile(
  collection: ConfigCollection,
  path: string,
  options: ValidateOptions = {},
): ValidationResult {
  const result = (fields: Partial<ValidationResult>): ValidationResult => ({
    file: path,
    platform: null,
    errors: [],
    warnings: [],
    notes: [],
    resolved: null,
    ...fields,
  });
  const noFile = (message: string) => result({ errors: [{ file: path, line: null, keyPath: '', message }] });
  if (!existsSync(path)) return noFile('file not found');
  if (statSync(path).isDirectory()) return noFile('no .toml config file under this directory');
  if (!path.endsWith('.toml')) return noFile('not a config file: expected a .toml file');
  const file = parseConfigFile(path);
  if (file.kind !== 'experiment') {
    return result({
      platform: file.platform,
      notes: platformOptionIgnored(file.kind, file.platform, options.platform),
      errors: [
        ...file.errors,
        ...file.parameterErrors,
        ...(options.lenient ? [] : file.unknownKeys.map(unknownKeyError)),
      ],
      warnings: [...(options.lenient ? file.unknownKeys : []), ...file.ignoredKeys],
    });
  }
  // Parameter errors alone leave the file whole: resolving it reports them with the rest.
  if (file.errors.length > 0) return result({ errors: [...file.errors, ...file.parameterErrors] });
  const choice = choosePlatform(collection, file, options);
  const experiment = options.experiment
    ? { ...options.experiment, appName: choice.platform }
    : placeholderExperiment(file, choice.platform);
  const notes = choice.note ? [choice.note] : [];
  try {
    const resolved = resolveAnalysisSpec(collection, experiment, {
      configFile: path,
      lenient: options.lenient ?? false,
    });
    return result({ platform: choice.platform, warnings: resolved.warnings, notes, resolved });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return result({ platform: choice.platform, errors: error.problems, notes });
  }
}
