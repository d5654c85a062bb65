import { z } from 'zod';
import { ContrailError } from '../errors.js';

/**
 * One thing wrong with a config, located so that its author can go straight to it:
 * the file, the 1-based line (null when the text is not available, e.g. a merged
 * default), the dotted key path inside the file, and what would be valid.
 */
export const ConfigProblem = z.object({
  file: z.string(),
  line: z.number().int().positive().nullable(),
  keyPath: z.string(),
  message: z.string(),
});
export type ConfigProblem = z.infer<typeof ConfigProblem>;

/** `file:line: keyPath: message`, the shape editors and CI logs link on. */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line === null ? problem.file : `${problem.file}:${problem.line}`;
  return problem.keyPath
    ? `${where}: ${problem.keyPath}: ${problem.message}`
    : `${where}: ${problem.message}`;
}

/** An unknown key, an error unless lenient, says how to accept it for now. */
export function unknownKeyError(problem: ConfigProblem): ConfigProblem {
  return { ...problem, message: `${problem.message} (use --lenient to accept unknown keys as warnings)` };
}

/**
 * A config that cannot be used. Carries every problem found (not only the first), so a
 * config author fixes them in one round; `message` lists them one per line.
 */
export class ConfigError extends ContrailError {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[], summary?: string) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(
      [summary ?? `invalid config (${count}):`, ...problems.map((p) => `  ${formatProblem(p)}`)].join('\n'),
      { permanent: true, details: { problems } },
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Collects problems while a file or an experiment is checked; errors and warnings apart. */
export class ProblemList {
  readonly errors: ConfigProblem[] = [];
  readonly warnings: ConfigProblem[] = [];

  error(problem: ConfigProblem): void {
    if (!this.errors.some((p) => samePlace(p, problem) && p.message === problem.message))
      this.errors.push(problem);
  }

  warning(problem: ConfigProblem): void {
    if (!this.warnings.some((p) => samePlace(p, problem) && p.message === problem.message))
      this.warnings.push(problem);
  }

  /** Throws a ConfigError when any error was recorded. */
  throwIfErrors(summary?: string): void {
    if (this.errors.length > 0) throw new ConfigError(this.errors, summary);
  }
}

function samePlace(a: ConfigProblem, b: ConfigProblem): boolean {
  return a.file === b.file && a.line === b.line && a.keyPath === b.keyPath;
}
