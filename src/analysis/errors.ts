import { didYouMean } from '../config/suggest.js';
import { ContrailError, type ErrorSubject } from '../errors.js';

/** The experiment slug is in neither the experiment source nor (for previews) anywhere else. */
export class UnknownExperimentError extends ContrailError {
  constructor(
    readonly slug: string,
    known: string[],
    hint?: string,
  ) {
    const list = known.length > 0 ? known.slice(0, 20).join(', ') : 'none';
    super(
      `unknown experiment '${slug}'${didYouMean(slug, known)}: not in the experiment source (known: ${list})${hint ? `; ${hint}` : ''}`,
      {
        permanent: true,
        details: { slug },
      },
    );
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
