import { chooseConfigRepos, defaultConfigRepos, loadConfigCollection } from '../config/collection.js';
import { didYouMean } from '../config/suggest.js';
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
