import { existsSync } from 'node:fs';
import type { ConfigCollection } from './collection.js';
import { parseConfigFile } from './collection.js';
import { inferPlatform, placeholderExperiment } from './platform.js';
import { ConfigError, type ConfigProblem } from './problems.js';
import { resolveAnalysisSpec } from './resolve.js';

export interface ValidationResult {
  file: string;
  /** Platform the file was checked for (experiment configs), else null. */
  platform: string | null;
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
}

export interface ValidateOptions {
  /** Platform of experiment configs; inferred when absent (see inferPlatform). */
  platform?: string;
  lenient?: boolean;
}

/**
 * Checks config files against a collection, as `contrail validate` does. An experiment
 * config is resolved in full for its platform, in place of the repo's own copy, with a
 * placeholder experiment built from the file (see placeholderExperiment). Defaults,
 * definitions, outcome and functions files are parsed and checked on their own (their
 * unknown keys are errors unless lenient).
 */
export function validateConfigFile(
  collection: ConfigCollection,
  path: string,
  options: ValidateOptions = {},
): ValidationResult {
  const noFile = (message: string): ValidationResult => ({
    file: path,
    platform: null,
    errors: [{ file: path, line: null, keyPath: '', message }],
    warnings: [],
  });
  if (!existsSync(path)) return noFile('file not found');
  if (!path.endsWith('.toml')) return noFile('not a config file: expected a .toml file');
  const file = parseConfigFile(path);
  if (file.kind !== 'experiment') {
    return {
      file: path,
      platform: file.platform,
      errors: [...file.errors, ...(options.lenient ? [] : file.unknownKeys)],
      warnings: options.lenient ? file.unknownKeys : [],
    };
  }
  if (file.errors.length > 0) return { file: path, platform: null, errors: file.errors, warnings: [] };
  let platform = options.platform ?? null;
  if (platform === null) {
    const inferred = inferPlatform(collection, file);
    if (inferred.platform === null) {
      const why =
        inferred.candidates.length > 0
          ? `cannot tell the platform: ${inferred.candidates.join(', ')} all define what the file references; pass --platform`
          : `no platform (${collection.platforms().join(', ')}) defines every metric, data source, segment and outcome the file references; pass --platform to see what is missing`;
      return noFile(why);
    }
    platform = inferred.platform;
  }
  try {
    const { warnings } = resolveAnalysisSpec(collection, placeholderExperiment(file, platform), {
      configFile: path,
      lenient: options.lenient ?? false,
    });
    return { file: path, platform, errors: [], warnings };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { file: path, platform, errors: error.problems, warnings: [] };
  }
}
