import { ContrailError } from '../errors.js';

/**
 * An error meant for the person at the terminal: printed as one line (no stack trace) and
 * turned into the process exit code. 1 = the work failed or input was invalid; 2 = usage.
 */
export class CliError extends ContrailError {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message, { permanent: true });
    this.name = 'CliError';
  }
}
