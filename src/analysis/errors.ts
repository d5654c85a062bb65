import { ContrailError } from '../errors.js';

/** The experiment slug is in neither the experiment source nor (for previews) anywhere else. */
export class UnknownExperimentError extends ContrailError {
  constructor(
    readonly slug: string,
    known: string[],
    hint?: string,
  ) {
    const list = known.length > 0 ? known.slice(0, 20).join(', ') : 'none';
    super(
      `unknown experiment '${slug}': not in the experiment source (known: ${list})${hint ? `; ${hint}` : ''}`,
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
