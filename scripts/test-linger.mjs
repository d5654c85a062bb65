/**
 * Loaded by every test process scripts/run-tests.ts starts (`--import`): once the process's tests
 * and their hooks have ended, it must exit within CONTRAIL_TEST_LINGER_MS. One that does not has
 * something left open (a worker an `after` hook never reached because an earlier step threw, a
 * server, a connection), and node's runner would wait for it until the file's timeout, ten
 * minutes. Instead it says what is still open and exits with LINGERED_EXIT, which the runner
 * reports as a failure of that file. Plain JavaScript: it loads before any loader hook.
 */

/** The exit code of a test process that kept running after its tests. */
export const LINGERED_EXIT = 86;

const ms = Number(process.env.CONTRAIL_TEST_LINGER_MS);
// Only in a test process (the runner marks those), not in the runner, which reads the exit code
// from here: loading node:test makes a process a test process that reports to its stdout.
if (process.env.CONTRAIL_TEST_RUN && ms > 0) {
  const { after } = await import('node:test');
  after(() => {
    // Unreferenced: a process with nothing left open exits without waiting for it.
    setTimeout(() => {
      const open = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
      process.stderr.write(
        `its tests ended ${ms / 1000} s ago, but the process was still running, kept alive by: ${open.join(', ')}\n`,
      );
      process.exit(LINGERED_EXIT);
    }, ms).unref();
  });
}
