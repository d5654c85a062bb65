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

/**
 * One line for an error contrail did not expect: its message and those of its causes. The
 * Temporal client's errors say only what failed ("Failed to start Workflow") and keep why in
 * their cause ("3 INVALID_ARGUMENT: WorkflowId length exceeds limit.").
 */
export function describeUnexpected(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.some((p) => p.includes(message))) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}
