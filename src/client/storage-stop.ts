import { plural } from '../plural.js';
import type { StorageRefusal } from '../warehouse/errors.js';
import type { PreviewResult } from '../workflows/preview.js';

/*
 * What the CLI says of a run stopped because the embedded warehouse's file system refused its
 * writes (full or read-only): a preview, and the runs of many (a backfill, a rerun, the daily
 * run), in the same words.
 */

/** `its file system is full`: the refusal, as the reports say it. */
const refusedWords = (storage: StorageRefusal): string =>
  storage === 'full' ? 'its file system is full' : 'its file system is read-only';

/** `the embedded warehouse's storage failed (its file system is full)`. */
const storageFailed = (storage: StorageRefusal): string =>
  `the embedded warehouse's storage failed (${refusedWords(storage)})`;

/** A run of many stopped because the embedded warehouse's file system refused its writes. */
export interface StorageStop<F> {
  /** The run, as its failure line names it: `backfill`, `rerun of <slug>`, `daily analysis <date>`. */
  run: string;
  /** What it stopped on, as the report names it: `<slug> <date>`, `<date>`, `<slug>`. */
  on: string;
  storage: StorageRefusal;
  /** Its failures; `first` is the one it stopped on. */
  failed: readonly F[];
  first: F | undefined;
  /** What it runs one of for each item (`experiment-day`, `date`, `experiment`), and how many it did not attempt. */
  unit: string;
  notAttempted: number;
  /** What the items not attempted were, when the report names them. */
  named?: string;
  /** What the stop left published, in the report and (short) in the failure line. */
  published: { said: string; short: string };
}

/**
 * A run of many (a backfill, a rerun, the daily run) stopped because the embedded warehouse's
 * file system refused its writes: its error once (it names the warehouse file and what to do)
 * for every unit that failed on it, what was not attempted, and what is published; the failure
 * line the command ends with; and which failures were on it, not to be listed again.
 */
export function storageStop<F extends { errorType: string; message: string }>(
  stop: StorageStop<F>,
): { lines: string[]; failure: string; onStorage: (f: F) => boolean } {
  const { first, unit } = stop;
  // The runs already started when it happened failed on it too, with the same words.
  const onStorage = (f: F) =>
    first !== undefined && f.errorType === first.errorType && f.message === first.message;
  const others = stop.failed.filter(onStorage).length - 1;
  const alsoFailed = others > 0 ? `; ${plural(others, `more ${unit}`)} already running failed on it too` : '';
  const notAttempted = plural(stop.notAttempted, unit);
  return {
    lines: [
      `  STOPPED on ${stop.on}: ${storageFailed(stop.storage)}${alsoFailed}; ${notAttempted} not attempted (${stop.named ? `${stop.named}: ` : ''}each would fail alike); ${stop.published.said}:`,
      `    ${first ? `${first.errorType}: ${first.message}` : refusedWords(stop.storage)}`,
    ],
    failure: `${stop.run} stopped on ${stop.on}: ${storageFailed(stop.storage)}; ${notAttempted} not attempted, ${stop.published.short}: what to do is said in its report`,
    onStorage,
  };
}

/**
 * A preview stopped because the embedded warehouse's file system refused its writes: the error
 * once (it names the warehouse file and what to do), the dates not attempted, and what the
 * command ends with.
 */
export function previewStorageStop(
  p: PreviewResult,
  stop: NonNullable<PreviewResult['storageStopped']>,
): { lines: string[]; failure: string } {
  const failure = (p.failed ?? []).find((f) => f.date === stop.date);
  const notRun =
    stop.notRun.length > 0
      ? `${stop.notRun.join(', ')} not attempted (each would fail alike)`
      : 'it was the last date';
  return {
    lines: [
      `STOPPED on ${stop.date}: ${storageFailed(stop.storage)}; ${notRun}; query costs not recorded:`,
      `  ${failure ? `${failure.errorType}: ${failure.message}` : refusedWords(stop.storage)}`,
    ],
    failure: `preview of ${p.slug} stopped on ${stop.date}: ${storageFailed(stop.storage)}${stop.notRun.length > 0 ? `; ${plural(stop.notRun.length, 'later date')} not attempted` : ''}: what to do is said in its report`,
  };
}
