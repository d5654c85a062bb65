/**
 * Runs several small test files in one node process (scripts/run-tests.ts sends the unit files
 * that take a second or two here, a few dozen at a time): each file's tests in a suite named by
 * its path, so the report still says which file a test is in, and its top-level hooks stay
 * with its own tests. One process instead of one each saves the loader and module start-up
 * that is most of such a file's cost.
 *
 * Each file is loaded only once the one before it has finished: loading a module blocks the
 * event loop, and a file whose tests measure time (heartbeats every 20 ms) must not run while
 * the next file loads.
 *
 *   node <bundle>/scripts/test-batch.mjs <source file>=<its bundled module>…
 *
 * (scripts/run-tests.ts runs it and the test files from one bundle of the sources.)
 */
import { resolve } from 'node:path';
import { after, describe } from 'node:test';
import { pathToFileURL } from 'node:url';

for (const argument of process.argv.slice(2)) {
  // The source's name, then its module (a path may hold '=' itself).
  const at = argument.indexOf('=');
  const [name, file] = [argument.slice(0, at), argument.slice(at + 1)];
  await new Promise<void>((finished) => {
    describe(name, async () => {
      after(() => finished());
      try {
        await import(pathToFileURL(resolve(file)).href);
      } catch (error) {
        // A file that does not load fails its suite; the next file still runs.
        finished();
        throw error;
      }
    });
  });
}
