import { ContrailError, type ErrorSubject } from '../errors.js';
import { didYouMean } from '../suggest.js';

/**
 * The experiment slug is in neither the experiment source nor (for previews) anywhere else.
 * Several slugs are named in one error, each with its closest known slug, so a command naming
 * many fails once with all of them rather than once per experiment.
 */
export class UnknownExperimentError extends ContrailError {
  readonly slug: string;
  constructor(slugs: string | string[], known: string[], hint?: string) {
    const all = typeof slugs === 'string' ? [slugs] : slugs;
    const list = known.length > 0 ? known.slice(0, 20).join(', ') : 'none';
    const more = known.length > 20 ? `, … ${known.length - 20} more` : '';
    const named = all.map((slug) => `'${slug}'${didYouMean(slug, known)}`).join(', ');
    super(
      `unknown experiment${all.length === 1 ? '' : 's'} ${named}: not in the experiment source (known: ${list}${more})${hint ? `; ${hint}` : ''}`,
      {
        permanent: true,
        details: all.length === 1 ? { slug: all[0] } : { slugs: all },
      },
    );
    this.slug = all[0] as string;
    this.name = 'UnknownExperimentError';
  }
}

/** An analysis step was asked for work that can never be done (e.g. a window that is not due on the date). */
export class InvalidInputError extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'InvalidInputError';
  }
}

/**
 * Statistics of a window that failed on its data or parameters: every failing statistic is
 * named (metric, statistic, basis and segments, config key) with its own message, so a config
 * author sees them all at once. Permanent when every failure was: the others are retried.
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
