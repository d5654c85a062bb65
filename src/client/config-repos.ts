import { readFileSync } from 'node:fs';
import { syntheticExperiment } from '../analysis/spec-resolver.js';
import {
  type ConfigCollection,
  chooseConfigRepos,
  defaultConfigRepos,
  loadConfigCollection,
} from '../config/collection.js';
import type { ConfigFile } from '../config/config-file.js';
import { customConfig } from '../config/custom-config.js';
import { closestPlatform, inferPlatform } from '../config/platform.js';
import { ConfigError } from '../config/problems.js';
import { resolveAnalysisSpec } from '../config/resolve.js';
import { plural } from '../plural.js';
import { didYouMean } from '../suggest.js';
import { CliError } from './errors.js';

/**
 * The config repos of a command that may read a `--config_file`: `--config_repos`, else the
 * shared rule (`chooseConfigRepos`), which takes the metric-hub checkout the config file is in,
 * so that a config previewed or planned from an author's checkout uses that checkout's
 * definitions. Says on stderr when it took a checkout, since nothing on the command line named it.
 */
export function configReposOf(args: {
  config_repos?: string[] | undefined;
  config_file?: string | undefined;
}): string[] {
  const choice = chooseConfigRepos({
    given: args.config_repos,
    ...(args.config_file ? { files: [args.config_file] } : {}),
  });
  if (choice.source === 'checkout') {
    process.stderr.write(
      `config repos: ${choice.repos.join(', ')} (the metric-hub checkout the config file is in)\n`,
    );
  }
  return choice.repos;
}

/**
 * `--platform` must name a platform the config repos define (`definitions/<platform>.toml`): a
 * usage error (exit 2) before anything starts, said once, naming the option, not a config
 * problem per file located at Experimenter's record.
 */
export function checkPlatformOption(
  platform: string,
  platforms: readonly string[],
  searched: readonly string[],
): void {
  if (platforms.includes(platform)) return;
  throw new CliError(
    `--platform ${platform}: the config repos define no such platform${didYouMean(platform, platforms)}; ` +
      `platforms: ${platforms.join(', ') || 'none'} (in ${searched.join(', ')}; --config_repos names other repos)`,
    2,
  );
}

/** A `--config_file` for an experiment that may be in no experiments source. */
interface ConfigOfSlug {
  slug: string;
  configFile: string;
  experimentsFile: string;
  /** Unknown keys are warnings (`--lenient`), as the run would take them. */
  lenient?: boolean | undefined;
}

/**
 * checkPlatformOption for a command that has not loaded its config repos yet. Given the
 * experiment a run on the platform will analyse, also checkPlatformFiles and, with the command's
 * `--config_file`, checkConfigOnPlatform, from the same load of the repos.
 */
export async function checkPlatformOf(
  platform: string,
  repos: string[] | undefined,
  run?: { slug: string; config?: Omit<ConfigOfSlug, 'slug'> | undefined },
): Promise<void> {
  const searched = repos ?? defaultConfigRepos();
  const collection = await loadConfigCollection({ repos: searched });
  checkPlatformOption(platform, collection.platforms(), searched);
  if (run === undefined) return;
  checkPlatformFiles(collection, platform, run.slug);
  if (run.config !== undefined)
    await checkConfigOnPlatform(collection, platform, { slug: run.slug, ...run.config });
}

/**
 * The platform's shared files (its definitions, the functions, its defaults) that do not parse
 * or have invalid values: every run on the platform fails on them whatever its config, so they
 * are said at their lines, as the run would say them, before an embedded Temporal server starts.
 */
export function checkPlatformFiles(collection: ConfigCollection, platform: string, slug: string): void {
  const problems = collection
    .platformFiles(platform)
    .flatMap((file) => [...file.errors, ...file.parameterErrors]);
  if (problems.length > 0)
    throw new CliError(new ConfigError(problems, `experiment '${slug}' has an invalid config:`).message);
}

/**
 * Whether the experiments file knows the slug (then its record decides the platform); null when
 * the file cannot be read, which the run reports.
 */
async function knownToSource(slug: string, experimentsFile: string): Promise<boolean | null> {
  const { localExperimentSource } = await import('../experiments/source.js');
  try {
    return (await localExperimentSource(experimentsFile).forPreview().get(slug)) !== null;
  } catch {
    return null;
  }
}

/**
 * A config for an experiment no source knows, run on the `--platform` given, that does not parse
 * or references a name the platform does not define (a misspelt metric, data source, segment or
 * outcome): its problems are said before anything starts, as the run would say them (a preview's
 * worker resolves the same synthetic experiment), rather than after an embedded Temporal server
 * has started. A config the platform defines everything of is left to the run: resolved here
 * without the dates a preview gives it, it could be refused for what the run resolves.
 */
async function checkConfigOnPlatform(
  collection: ConfigCollection,
  platform: string,
  config: ConfigOfSlug,
): Promise<void> {
  if ((await knownToSource(config.slug, config.experimentsFile)) !== false) return;
  const file = customConfig(config.configFile, config.slug);
  if (file.errors.length === 0 && inferPlatform(collection, file).candidates.includes(platform)) return;
  try {
    resolveAnalysisSpec(
      collection,
      syntheticExperiment(config.slug, platform, readFileSync(config.configFile, 'utf8')),
      { configFile: config.configFile, lenient: config.lenient ?? false },
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(error.message);
  }
}

/**
 * The platform a plan or preview of `--config_file` runs on when no `--platform` is given and the
 * experiments source does not know the slug (a config written before its experiment is in
 * Experimenter): the one platform whose definitions have everything the config references, said on
 * stderr since nothing on the command line named it. Null when the source knows the experiment (its
 * record decides) or cannot be read (the run reports that). When several platforms fit,
 * `--platform` is required (a guess would analyse the wrong app's data: exit 2); when none does,
 * the config references something no platform defines, and its problems are the refusal (exit 1).
 */
export async function platformOfUnknownExperiment(options: {
  slug: string;
  configFile: string;
  repos: string[];
  experimentsFile: string;
  /** Unknown keys are warnings (`--lenient`), as the run would take them. */
  lenient?: boolean;
}): Promise<string | null> {
  if ((await knownToSource(options.slug, options.experimentsFile)) !== false) return null;
  const collection = await loadConfigCollection({ repos: options.repos });
  const file = customConfig(options.configFile, options.slug);
  // A file that does not parse references nothing a platform could be told by: its own errors first.
  if (file.errors.length > 0)
    throw new CliError(new ConfigError(file.errors, `${options.configFile} is not a valid config:`).message);
  const { platform, candidates } = inferPlatform(collection, file);
  if (platform === null && candidates.length > 1) {
    throw new CliError(
      `--platform is needed: experiment '${options.slug}' is in no experiments source and ${candidates.length} platforms define everything ${options.configFile} references (${candidates.join(', ')}); pass --platform with the app it runs on`,
      2,
    );
  }
  if (platform === null) {
    unresolvableOnClosest(collection, file, options);
    return null;
  }
  process.stderr.write(
    `platform: ${platform} (the one platform whose definitions have everything the config references; --platform chooses another)\n`,
  );
  return platform;
}

/**
 * A config no platform defines everything of references a name that does not exist (a misspelt
 * metric, data source, segment or outcome): resolved on the closest platform, its problems are
 * said at their lines before anything starts. Refusing the experiment as unknown, as the run
 * would, sent its author to pass --platform and --config_file when the file was what to fix.
 */
function unresolvableOnClosest(
  collection: ConfigCollection,
  file: ConfigFile,
  options: { slug: string; configFile: string; lenient?: boolean },
): void {
  const closest = closestPlatform(collection, file);
  if (closest === null) return;
  try {
    resolveAnalysisSpec(
      collection,
      syntheticExperiment(options.slug, closest, readFileSync(options.configFile, 'utf8')),
      {
        configFile: options.configFile,
        lenient: options.lenient ?? false,
      },
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(
      new ConfigError(
        error.problems,
        `${options.configFile} references something no platform of the config repos defines, so the platform of '${options.slug}' (in no experiments source) cannot be told from it; checked on ${closest}, the closest (--platform chooses another): ${plural(error.problems.length, 'problem')}`,
      ).message,
    );
  }
}
