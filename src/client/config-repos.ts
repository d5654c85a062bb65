import { chooseConfigRepos } from '../config/collection.js';

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
