import { contrailCommand } from '../command-name.js';
import { ContrailError, type ErrorSubject } from '../errors.js';
import type { ExperimentSource } from '../experiments/source.js';
import { didYouMean } from '../suggest.js';

/**
 * The experiment slug is in neither the experiment source nor (for previews) anywhere else.
 * Several slugs are named in one error, each with its closest known slug, so a command naming
 * many fails once with all of them rather than once per experiment. `drafts` are slugs the
 * source holds as drafts: to the daily analysis they are unknown too, but "not in the source"
 * would send a person looking for a record that is right there.
 */
export class UnknownExperimentError extends ContrailError {
  readonly slug: string;
  constructor(slugs: string | string[], known: string[], hint?: string, drafts: readonly string[] = []) {
    const all = typeof slugs === 'string' ? [slugs] : slugs;
    const missing = all.filter((slug) => !drafts.includes(slug));
    const draft = all.filter((slug) => drafts.includes(slug));
    const parts: string[] = [];
    if (missing.length > 0) {
      const list = known.length > 0 ? known.slice(0, 20).join(', ') : 'none';
      const more = known.length > 20 ? `, … ${known.length - 20} more` : '';
      const named = missing.map((slug) => `'${slug}'${didYouMean(slug, known)}`).join(', ');
      parts.push(
        `unknown experiment${missing.length === 1 ? '' : 's'} ${named}: not in the experiment source (known: ${list}${more})${hint ? `; ${hint}` : ''}`,
      );
    }
    if (draft.length > 0) {
      const named = draft.map((slug) => `'${slug}'`).join(', ');
      parts.push(
        `experiment${draft.length === 1 ? ` ${named} is a draft` : `s ${named} are drafts`} in the experiment source, not launched (no start date, or a Draft or Preview status): the daily analysis, backfills and reruns analyse launched experiments only; \`${contrailCommand()} preview\` reads drafts`,
      );
    }
    super(parts.join('; '), {
      permanent: true,
      details: all.length === 1 ? { slug: all[0] } : { slugs: all },
    });
    this.slug = all[0] as string;
    this.name = 'UnknownExperimentError';
  }
}

/**
 * The error for `slugs` the launched experiments of `source` lack: which of them are drafts
 * is asked of the source's preview view (drafts included), and left unsaid when that fails.
 */
export async function unknownExperimentsError(
  source: ExperimentSource,
  slugs: string[],
  hint?: string,
): Promise<UnknownExperimentError> {
  const known = (await source.list()).map((e) => e.slug);
  const drafts = await source
    .forPreview()
    .list()
    .then(
      (all) => all.filter((e) => e.status === 'draft' && slugs.includes(e.slug)).map((e) => e.slug),
      () => [],
    );
  return new UnknownExperimentError(slugs, known, hint, drafts);
}

/** An analysis step was asked for work that can never be done (e.g. a window that is not due on the date). */
export class InvalidInputError extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'InvalidInputError';
  }
}

/**
 * Statistics of a window that the statistics threads could not run (a thread that crashed or
 * ran out of memory): every such statistic is named (metric, statistic, basis and segments,
 * config key) with its own message. A statistic whose own code threw is no such failure: it is
 * logged as a StatisticComputationException and the window's other results are published.
 * Permanent when every failure was: the others are retried.
 */
export class StatisticsFailedError extends ContrailError {
  constructor(readonly failures: (ErrorSubject & { message: string; permanent: boolean })[]) {
    const lines = failures.map(
      (f) =>
        `  ${f.metric}/${f.statistic} (${f.analysisBasis} basis, segment ${f.segment})${f.file ? ` at ${f.file}${f.line ? `:${f.line}` : ''} ${f.key}` : ''}: ${f.message}`,
    );
    const count = failures.length === 1 ? '1 statistic' : `${failures.length} statistics`;
    super([`${count} failed:`, ...lines].join('\n'), {
      permanent: failures.every((f) => f.permanent),
      details: { subjects: failures.map(({ permanent: _p, ...subject }) => subject) },
    });
    this.name = 'StatisticsFailedError';
  }
}
