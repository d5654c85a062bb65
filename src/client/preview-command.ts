import { contrailCommand } from '../command-name.js';
import { shellWord } from '../shell-words.js';

/** An experiment config that validated, and what its preview needs to be told. */
export interface PreviewableConfig {
  file: string;
  slug: string;
  /** The platform it was checked for. */
  platform: string;
  /** The experiments source has a record of the experiment (else the preview needs --platform). */
  known: boolean;
  /**
   * Its enrollment is complete before today, so a preview of the last days finds enrollments and
   * results due (else it needs a generated population: not launched, or still enrolling).
   */
  enrolled: boolean;
}

/** Commands shown at most: a whole repo validated would otherwise list hundreds. */
const SHOWN = 3;

/**
 * What `contrail validate` says after the configs pass, so that a config author (or the CI of a
 * config repo) learns how to see the analysis before merging: the preview command of each valid
 * experiment config, with the options it needs: `--platform` and `--generate_population` for an
 * experiment no source knows, `--generate_population` for one not launched or still enrolling, and the
 * config repos and experiments file the check was given.
 */
export function previewCommands(
  configs: PreviewableConfig[],
  given: { configRepos?: string[] | undefined; experimentsFile?: string | undefined } = {},
): string[] {
  if (configs.length === 0) return [];
  const shared = [
    ...(given.configRepos ?? []).flatMap((repo) => ['--config_repos', shellWord(repo)]),
    ...(given.experimentsFile ? ['--experiments_file', shellWord(given.experimentsFile)] : []),
  ];
  const command = (c: PreviewableConfig) =>
    [
      `  ${contrailCommand()} preview --experiment_slug`,
      shellWord(c.slug),
      '--config_file',
      shellWord(c.file),
      ...(c.known ? [] : ['--platform', c.platform]),
      ...(c.known && c.enrolled ? [] : ['--generate_population']),
      ...shared,
    ].join(' ');
  const more = configs.length - SHOWN;
  return [
    `preview the analysis of ${configs.length === 1 ? 'this experiment' : 'an experiment'} before its config is merged (the last 3 days with results due, on a 1% sample, in a dataset whose tables expire):`,
    ...configs.slice(0, SHOWN).map(command),
    ...(more > 0 ? [`  (and likewise for the ${more} other experiment config${more === 1 ? '' : 's'})`] : []),
  ];
}
