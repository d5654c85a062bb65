/**
 * How a command says the failures of work it sees retried (`validate --dry_run`'s warehouse
 * calls, the activities of a run `preview`, `run` or `backfill` follows): a failure is said once
 * in full, and each later retry of the same work that failed the same way says so in a few
 * words. A warehouse that does not answer fails every attempt alike, and its whole message (the
 * endpoint, the timeout, the setting to change) repeated on every line buries what changes from
 * one line to the next: the attempt.
 */

/** What a retry line says in place of a failure it has just said for the same work. */
export const FAILED_THE_SAME_WAY = 'failed the same way';

/**
 * A memory of the failure last said for each piece of work (`work` names it: an activity in a
 * workflow, or the one dry run): `repeated(work, failure)` is true when `failure` is that one,
 * and the retry line says FAILED_THE_SAME_WAY; false when it is new or another, and the line
 * says it in full.
 */
export function retryFailures(): { repeated: (work: string, failure: string) => boolean } {
  const said = new Map<string, string>();
  return {
    repeated: (work, failure) => {
      const same = said.get(work) === failure;
      said.set(work, failure);
      return same;
    },
  };
}
