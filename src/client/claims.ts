import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileRefusal } from '../file-refusal.js';
import { makeDirectory, moveTo, settingPlacing } from '../paths.js';
import { runtimeSettings } from '../settings.js';
import { shellWord } from '../shell-words.js';
import { currentCommand, isRunning } from '../warehouse/duckdb-holder.js';
import { CliError } from './errors.js';

/**
 * Which contrail commands are writing which experiments' tables of one warehouse. On a Temporal
 * cluster the server keeps two runs that would write the same tables apart (workflow ids name
 * the work); embedded commands each start a server of their own, so two of them would
 * overwrite each other's tables and each print the other's results. So an embedded command
 * claims the experiments it writes, in notes beside the warehouse's place (the embedded file, or
 * a BigQuery project's name in the data directory: `<place>.claims/<dataset>~<slug>.json`, `*`
 * for every experiment), and a command whose claim meets a running command's is refused, naming
 * that command. A note whose process is gone (it was killed) is stale and taken over.
 *
 * A `contrail worker` serving the embedded warehouse file for a Temporal server leaves a note
 * there too (`worker@<pid>.json`: which server, namespace and task queue). That server keeps its
 * own analyses of an experiment-day apart, but it never sees an embedded command's: so an
 * embedded command is refused while a worker serves its warehouse (it is told to run on that
 * server instead), and a worker waits to serve while an embedded command claims anything there.
 * Each writes its note before looking for the other's, so of two starting together neither
 * misses both.
 */

export interface Claim {
  dataset: string;
  /** The experiments written; null = every experiment of the dataset (a daily run). */
  slugs: readonly string[] | null;
}

interface ClaimNote {
  pid: number;
  command: string;
  since: string;
  dataset: string;
  /** '*' for every experiment. */
  slug: string;
}

const EVERY = '*';

/** The Temporal server a `contrail worker` serves the warehouse for. */
export interface Served {
  address: string;
  namespace: string;
  taskQueue: string;
}

interface ServingNote {
  pid: number;
  command: string;
  since: string;
  serves: Served;
}

function claimsDir(place: string): string {
  return `${place}.claims`;
}

function noteFile(dir: string, dataset: string, slug: string): string {
  return join(
    dir,
    `${encodeURIComponent(dataset)}~${slug === EVERY ? EVERY : encodeURIComponent(slug)}.json`,
  );
}

function readNote(file: string): ClaimNote | null {
  try {
    const note = JSON.parse(readFileSync(file, 'utf8')) as Partial<ClaimNote>;
    if (typeof note.pid !== 'number' || typeof note.dataset !== 'string' || typeof note.slug !== 'string')
      return null;
    return {
      pid: note.pid,
      command: String(note.command ?? ''),
      since: String(note.since ?? ''),
      dataset: note.dataset,
      slug: note.slug,
    };
  } catch {
    return null;
  }
}

/** A worker's note: no claim's name has an `@` (its dataset and slug are URI-encoded). */
function servingFile(dir: string, pid: number): string {
  return join(dir, `worker@${pid}.json`);
}

function readServing(file: string): ServingNote | null {
  try {
    const note = JSON.parse(readFileSync(file, 'utf8')) as Partial<ServingNote>;
    const serves = note.serves as Partial<Served> | undefined;
    if (
      typeof note.pid !== 'number' ||
      typeof serves?.address !== 'string' ||
      typeof serves.namespace !== 'string' ||
      typeof serves.taskQueue !== 'string'
    )
      return null;
    return {
      pid: note.pid,
      command: String(note.command ?? ''),
      since: String(note.since ?? ''),
      serves: { address: serves.address, namespace: serves.namespace, taskQueue: serves.taskQueue },
    };
  } catch {
    return null;
  }
}

/** The notes in `dir` of other processes that still run: embedded commands' claims, serving workers. */
function othersIn(dir: string): { claims: ClaimNote[]; workers: ServingNote[] } {
  const found: { claims: ClaimNote[]; workers: ServingNote[] } = { claims: [], workers: [] };
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return found; // no command ever left a note here
  }
  const other = (pid: number) => pid !== process.pid && isRunning(pid);
  for (const name of names) {
    const file = join(dir, name);
    if (name.startsWith('worker@')) {
      const worker = readServing(file);
      if (worker !== null && other(worker.pid)) found.workers.push(worker);
    } else {
      const claim = readNote(file);
      if (claim !== null && other(claim.pid)) found.claims.push(claim);
    }
  }
  return found;
}

function overlaps(a: ClaimNote, b: { dataset: string; slug: string }): boolean {
  return a.dataset === b.dataset && (a.slug === b.slug || a.slug === EVERY || b.slug === EVERY);
}

function refusal(mine: { dataset: string; slug: string }, other: ClaimNote): CliError {
  const what = mine.slug === EVERY ? 'its experiments' : mine.slug;
  return new CliError(
    `${what} in dataset ${mine.dataset} ${mine.slug === EVERY ? 'are' : 'is'} being written by another contrail command on this warehouse: \`${other.command}\` (pid ${other.pid}, since ${other.since}); run this again when it has finished, or stop it (Ctrl-C in its terminal)`,
  );
}

/**
 * An embedded command beside a worker serving its warehouse: refused, naming the worker and
 * the settings that run the command on the worker's server instead, where the analyses of one
 * experiment-day are kept apart.
 */
function servedRefusal(place: string, worker: ServingNote): CliError {
  const { address, namespace, taskQueue } = worker.serves;
  const defaults = runtimeSettings({});
  const settings = [`TEMPORAL_ADDRESS=${shellWord(address)}`];
  if (namespace !== defaults.namespace) settings.push(`TEMPORAL_NAMESPACE=${shellWord(namespace)}`);
  if (taskQueue !== defaults.taskQueue) settings.push(`CONTRAIL_TASK_QUEUE=${shellWord(taskQueue)}`);
  return new CliError(
    `a contrail worker serves this warehouse (${place}) for the Temporal server at ${address} (namespace ${namespace}, task queue ${taskQueue}): \`${worker.command}\` (pid ${worker.pid}, since ${worker.since}); that server keeps its own analyses of an experiment-day apart, but not from this command's embedded server, and the two would write the same tables at once. Run this on that server (set ${settings.join(' ')}), or stop the worker first`,
  );
}

/**
 * A command that writes cannot leave its claim (a read-only or full directory): refused before it
 * starts anything, with the directory and what to do, not the system's errno line. What to do
 * names the setting that put the notes there: beside a warehouse file CONTRAIL_DUCKDB_PATH
 * names, another CONTRAIL_HOME would not move them.
 */
function unwritable(why: string, place: string, env: NodeJS.ProcessEnv): CliError {
  const setting = settingPlacing(place, env);
  const where =
    setting === 'CONTRAIL_DUCKDB_PATH'
      ? 'beside its file'
      : setting === 'CONTRAIL_HOME'
        ? 'there'
        : `in ${claimsDir(place)}`;
  return new CliError(
    `${why}; ${moveTo(setting, 'a directory you can write to')} (contrail keeps its notes on the warehouse ${where})`,
  );
}

/**
 * Claims `claim` on the warehouse at `place` (placed by the settings `env`) for this process;
 * returns the function that releases it (also released when the process exits). Throws a
 * CliError naming the running command whose claim overlaps.
 */
export function claimExperiments(
  place: string,
  claim: Claim,
  env: NodeJS.ProcessEnv = process.env,
): () => void {
  const dir = claimsDir(place);
  // Not node's recursive mkdir: on a read-only file system it says ENOENT.
  const notMade = makeDirectory(dir);
  if (notMade !== null) throw unwritable(notMade, place, env);
  const slugs = claim.slugs === null ? [EVERY] : [...new Set(claim.slugs)];
  const mine: { dataset: string; slug: string; file: string }[] = [];
  const release = () => {
    for (const { file } of mine.splice(0)) {
      if (readNote(file)?.pid === process.pid) rmSync(file, { force: true });
    }
    process.off('exit', release);
  };
  process.on('exit', release);
  try {
    for (const slug of slugs) {
      const file = noteFile(dir, claim.dataset, slug);
      const note: ClaimNote = {
        pid: process.pid,
        command: currentCommand().slice(0, 500),
        since: new Date().toISOString(),
        dataset: claim.dataset,
        slug,
      };
      // Created only if absent, so of two commands starting together exactly one gets it.
      for (let attempt = 0; ; attempt++) {
        try {
          writeFileSync(file, `${JSON.stringify(note)}\n`, { flag: 'wx' });
          mine.push({ dataset: claim.dataset, slug, file });
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
            throw unwritable(`cannot write ${file}: ${fileRefusal(error)}`, place, env);
          const other = readNote(file);
          if (other !== null && other.pid !== process.pid && isRunning(other.pid))
            throw refusal({ dataset: claim.dataset, slug }, other);
          // Stale (its command was killed) or unreadable: taken over, once.
          if (attempt > 0) throw error;
          rmSync(file, { force: true });
        }
      }
    }
    // A daily run's `*` and an experiment's own claim are different notes: each claimant looks
    // for the other after writing its own, so of two that start together neither misses both.
    const others = othersIn(dir);
    for (const other of others.claims) {
      const met = mine.find((m) => overlaps(other, m));
      if (met) throw refusal(met, other);
    }
    const worker = others.workers[0];
    if (worker !== undefined) throw servedRefusal(place, worker);
  } catch (error) {
    release();
    throw error;
  }
  return release;
}

/**
 * `contrail sample` replaces the embedded warehouse's telemetry: under a command analysing it,
 * that command's dates would each read another sample, and its results mix the two without a
 * word. So it is refused while any command holds a claim on the warehouse at `place`, naming
 * that command (claims of this process and of processes gone do not count).
 */
export function refuseWhileAnalysing(place: string, what: string): void {
  for (const other of othersIn(claimsDir(place)).claims) {
    const experiment = other.slug === EVERY ? 'the experiments' : other.slug;
    throw new CliError(
      `${what} while another contrail command analyses it: \`${other.command}\` (pid ${other.pid}, since ${other.since}) reads it for ${experiment} in dataset ${other.dataset}, and its results would mix the old and the new telemetry; run this again when it has finished, or stop it (Ctrl-C in its terminal)`,
    );
  }
}

/**
 * Leaves this `contrail worker`'s note on the embedded warehouse at `place` before it serves it
 * for `serves`; while an embedded command claims anything there, waits (saying so through
 * `waiting`, once per command waited for) until it has finished. Returns the function that
 * takes the note away (also taken when the process exits).
 */
export async function serveWarehouse(
  place: string,
  serves: Served,
  options: { waiting: (line: string) => void; env?: NodeJS.ProcessEnv; pollMs?: number },
): Promise<() => void> {
  const env = options.env ?? process.env;
  const dir = claimsDir(place);
  const notMade = makeDirectory(dir);
  if (notMade !== null) throw unwritable(notMade, place, env);
  const file = servingFile(dir, process.pid);
  const release = () => {
    if (readServing(file)?.pid === process.pid) rmSync(file, { force: true });
    process.off('exit', release);
  };
  process.on('exit', release);
  const note: ServingNote = {
    pid: process.pid,
    command: currentCommand().slice(0, 500),
    since: new Date().toISOString(),
    serves,
  };
  let waitedFor: ClaimNote | null = null;
  for (;;) {
    try {
      writeFileSync(file, `${JSON.stringify(note)}\n`);
    } catch (error) {
      release();
      throw unwritable(`cannot write ${file}: ${fileRefusal(error)}`, place, env);
    }
    const analysing = othersIn(dir).claims[0];
    if (analysing === undefined) return release;
    // Not serving while it waits: an embedded command starting meanwhile is not refused.
    rmSync(file, { force: true });
    if (waitedFor?.pid !== analysing.pid) {
      const experiment = analysing.slug === EVERY ? 'the experiments' : analysing.slug;
      options.waiting(
        `waiting to serve the warehouse ${place}: \`${analysing.command}\` (pid ${analysing.pid}, since ${analysing.since}) analyses ${experiment} in dataset ${analysing.dataset} there on an embedded Temporal server of its own, which this worker's server would not keep apart from its analyses; serving once it has finished (or stop it: Ctrl-C in its terminal)`,
      );
    }
    waitedFor = analysing;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
  }
}
