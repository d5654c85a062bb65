/**
 * contrail's one error hierarchy. Every error contrail raises on purpose is a ContrailError
 * and says whether retrying the same work could ever succeed (`permanent`): a config, a
 * statistic parameter, an identifier or SQL the warehouse rejects are permanent; a lock, the
 * network or a warehouse 5xx/429 are transient. Retry policy is decided from this flag alone
 * (src/temporal/failures.ts maps it to Temporal's `nonRetryable` in one function), so no list
 * of class names is kept anywhere else.
 *
 * Errors cross process and thread boundaries (statistics worker threads, Temporal activity
 * failures) as plain data (`ErrorData`) and are rebuilt with `reviveError`, keeping their
 * name, message, permanence and details.
 */

/** What crosses a boundary: structured-clone and JSON safe. */
export interface ErrorData {
  name: string;
  message: string;
  permanent: boolean;
  /** Small, JSON-safe facts a caller may need (file, line, table, warehouse message…). */
  details: Record<string, unknown>;
}

export interface ContrailErrorOptions {
  permanent: boolean;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class ContrailError extends Error {
  /** Retrying the same work can never succeed: the input, config or SQL must change. */
  readonly permanent: boolean;
  readonly details: Record<string, unknown>;

  constructor(message: string, options: ContrailErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ContrailError';
    this.permanent = options.permanent;
    this.details = options.details ?? {};
  }

  toData(): ErrorData {
    return { name: this.name, message: this.message, permanent: this.permanent, details: this.details };
  }
}

/** Whether an error is known to be permanent; anything that is not a ContrailError is not. */
export function isPermanent(error: unknown): boolean {
  return error instanceof ContrailError && error.permanent;
}

/** The data of any thrown value (unknown errors are transient: retrying is the safe default). */
export function errorData(error: unknown): ErrorData {
  if (error instanceof ContrailError) return error.toData();
  if (error instanceof Error)
    return { name: error.name, message: error.message, permanent: false, details: {} };
  return { name: 'Error', message: String(error), permanent: false, details: {} };
}

/** A ContrailError rebuilt on the far side of a boundary, under its original name. */
export function reviveError(data: ErrorData): ContrailError {
  const error = new ContrailError(data.message, { permanent: data.permanent, details: data.details });
  error.name = data.name;
  return error;
}

/**
 * A result, or the error that replaced it, as data: what a worker thread sends back, since a
 * thrown error would arrive structured-cloned as a plain Error (no class, no `permanent`).
 */
export type Outcome<T> = { ok: true; result: T } | { ok: false; error: ErrorData };

/** Runs `step` on this side of a boundary; its error travels as data. */
export function outcomeOf<T>(step: () => T): Outcome<T> {
  try {
    return { ok: true, result: step() };
  } catch (error) {
    return { ok: false, error: errorData(error) };
  }
}

/** The result on the far side of the boundary; an error is rebuilt under its own name and permanence. */
export function resultOf<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw reviveError(outcome.error);
  return outcome.result;
}

/**
 * What an error or a warning is about, as far as it is known: the metric, statistic, basis,
 * segment and period it concerns, the query (table) that failed, and the config file, dotted key
 * and line a config author would edit. Errors that know it put a list in `details.subjects`; the
 * logs table keeps one row per subject, and a preview groups its errors by them.
 */
export interface ErrorSubject {
  metric?: string | null;
  statistic?: string | null;
  analysisBasis?: string | null;
  segment?: string | null;
  period?: string | null;
  /** The table the failing query was writing. */
  query?: string | null;
  file?: string | null;
  key?: string | null;
  line?: number | null;
  /** What went wrong for this subject, when the error's message covers several. */
  message?: string | null;
  /**
   * The type of the error this subject failed with, when the error carrying it gathers several
   * (a StepsFailedError names each step's own: a PlannedQueryError is reported as one).
   */
  errorType?: string | null;
}

const SUBJECT_TEXT = [
  'metric',
  'statistic',
  'analysisBasis',
  'segment',
  'period',
  'query',
  'file',
  'key',
  'message',
  'errorType',
] as const;

/** A subject read from untyped details (they crossed a boundary as JSON); null if it names nothing. */
function subjectOf(value: unknown): ErrorSubject | null {
  if (value === null || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  const subject: ErrorSubject = {};
  for (const field of SUBJECT_TEXT)
    if (typeof v[field] === 'string' && v[field] !== '') subject[field] = v[field];
  if (typeof v.line === 'number' && Number.isInteger(v.line) && v.line > 0) subject.line = v.line;
  return Object.keys(subject).length > 0 ? subject : null;
}

/**
 * The subjects an error's details name: `subjects` when the error lists them, else a config
 * error's problems (each with its file, key and line). Empty when the error is about nothing
 * narrower than the run.
 */
export function errorSubjects(details: Record<string, unknown>): ErrorSubject[] {
  if (Array.isArray(details.subjects)) {
    return details.subjects.map(subjectOf).filter((s): s is ErrorSubject => s !== null);
  }
  if (Array.isArray(details.problems)) {
    return details.problems
      .map((p: unknown) => {
        if (p === null || typeof p !== 'object') return null;
        const { file, keyPath, line, message } = p as Record<string, unknown>;
        return subjectOf({ file, key: keyPath, line, message });
      })
      .filter((s): s is ErrorSubject => s !== null);
  }
  return [];
}

/** The queries the failed steps ran to the end before failing, where they say. */
function queriesRunOfAll(failures: ContrailError[]): { queriesRun?: unknown[] } {
  const ran = failures.flatMap((f) => (Array.isArray(f.details.queriesRun) ? f.details.queriesRun : []));
  return ran.length > 0 ? { queriesRun: ran } : {};
}

/**
 * Independent steps that failed together (the metrics scans of a window's data sources, the
 * windows of a date): each ran although another had failed, so a config author sees every broken
 * data source and metric at once, with what each is about. Permanent when every failure was.
 */
export class StepsFailedError extends ContrailError {
  constructor(
    readonly failures: ContrailError[],
    /** What each step is, singular: "metrics scan", "window". */
    step: string,
  ) {
    super(
      [
        `${failures.length} ${step}s failed:`,
        ...failures.map((f) => `  ${f.message.replaceAll('\n', '\n  ')}`),
      ].join('\n'),
      {
        permanent: failures.every((f) => f.permanent),
        details: {
          subjects: failures.flatMap((f) =>
            // Each subject says its own step's error, not the gathered message of all of them.
            errorSubjects(f.details).map((s) => ({ errorType: f.name, message: f.message, ...s })),
          ),
          // The queries the failed steps ran to the end before failing, where they say.
          ...queriesRunOfAll(failures),
        },
      },
    );
    this.name = 'StepsFailedError';
  }
}

/**
 * Where in contrail's own code an error was raised (or a warning logged), as jetstream's logs
 * table says it (`filename`, `func_name`): the source file from the project's root
 * (`src/analysis/steps.ts`) and the function as V8 names it (`BigQueryWarehouse.writeRows`,
 * `new Foo`; null when anonymous).
 */
export interface RaisedAt {
  filename: string;
  funcName: string | null;
}

/** One V8 stack frame: `at [async ][name [as alias] (]location:line:column[)]`. */
const STACK_FRAME = /^\s*at (?:async )?(?:(.+?)(?: \[as [^\]]+\])? \()?(.+?):\d+:\d+\)?$/;

/**
 * The first frame of a V8 stack trace that is contrail's own source: a file under the project's
 * `src/`, from a checkout or the installed package (`node_modules/contrail/`), or its compiled
 * `dist/` (named by the source it was compiled from, so the image's rows say what a checkout's
 * do). Frames of other packages and of Node are passed over: an error the warehouse's client
 * threw is placed where contrail called it. Null when no frame is contrail's (no stack, a stack
 * cut off, a bundle without source maps). Pure text work: workflow code calls it.
 */
export function raisedAt(stack: string | null | undefined): RaisedAt | null {
  for (const line of (stack ?? '').split('\n')) {
    const frame = STACK_FRAME.exec(line);
    if (!frame) continue;
    const filename = projectSource(frame[2] ?? '');
    if (filename === null) continue;
    const name = frame[1] ?? null;
    return { filename, funcName: name === null || name.includes('<anonymous>') ? null : name };
  }
  return null;
}

/** A stack frame's file as a path from contrail's root (`src/…`), or null when it is not contrail's source. */
function projectSource(location: string): string | null {
  const path = location.replace(/^file:\/\//, '').replaceAll('\\', '/');
  const installed = path.lastIndexOf('/node_modules/');
  const own = installed < 0 ? `/${path}` : `/${path.slice(installed + '/node_modules/'.length)}`;
  if (installed >= 0 && !own.startsWith('/contrail/')) return null;
  const at = Math.max(own.lastIndexOf('/src/'), own.lastIndexOf('/dist/'));
  if (at < 0) return null;
  const [root, ...rest] = own.slice(at + 1).split('/');
  const file = rest.join('/');
  if (root === 'src') return /\.[cm]?ts$/.test(file) ? `src/${file}` : null;
  // dist/ holds what tsc compiled from src/ (one file each) and the workflows' bundle, which is none.
  return file.endsWith('.js') && file !== 'workflow-bundle.js' ? `src/${file.slice(0, -3)}.ts` : null;
}
