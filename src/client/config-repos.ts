import { chooseConfigRepos, defaultConfigRepos, loadConfigCollection } from '../config/collection.js';
import { customConfig } from '../config/custom-config.js';
import { inferPlatform } from '../config/platform.js';
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

/** checkPlatformOption for a command that has not loaded its config repos yet. */
export async function checkPlatformOf(platform: string, repos: string[] | undefined): Promise<void> {
  const searched = repos ?? defaultConfigRepos();
  checkPlatformOption(platform, (await loadConfigCollection({ repos: searched })).platforms(), searched);
}

/**
 * The platform a plan or preview of `--config_file` runs on when no `--platform` is given and the
 * experiments source does not know the slug (a config written before its experiment is in
 * Experimenter): the one platform whose definitions have everything the config references, said on
 * stderr since nothing on the command line named it. Null when the source knows the experiment (its
 * record decides), cannot be read (the run reports that), or several platforms or none fit: then
 * `--platform` is required, as the refusal says (a guess would analyse the wrong app's data).
 */
export async function platformOfUnknownExperiment(options: {
  slug: string;
  configFile: string;
  repos: string[];
  experimentsFile: string;
}): Promise<string | null> {
  const { localExperimentSource } = await import('../experiments/source.js');
  try {
    if (await localExperimentSource(options.experimentsFile).forPreview().get(options.slug)) return null;
  } catch {
    return null;
  }
  const collection = await loadConfigCollection({ repos: options.repos });
  const { platform } = inferPlatform(collection, customConfig(options.configFile, options.slug));
  if (platform === null) return null;
  process.stderr.write(
    `platform: ${platform} (the one platform whose definitions have everything the config references; --platform chooses another)\n`,
  );
  return platform;
}
