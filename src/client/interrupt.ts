/**
 * Ctrl-C (SIGINT) or SIGTERM: `end` ends the command its own way (an embedded command cancels
 * its workflows and stops its server; `sample` stops its query and drops what it staged). A
 * second signal stops the process at once (an embedded server's watchdog stops the server with
 * it). Returns the function that stops listening.
 */
export function onInterrupt(
  end: (signal: NodeJS.Signals) => Promise<void>,
  /** What the second signal leaves behind, said as it stops the process (e.g. warehouse queries still running). */
  leftRunning?: string,
): () => void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      if (leftRunning) process.stderr.write(`contrail: stopped at once (${signal} again): ${leftRunning}\n`);
      process.exit(130);
    }
    received = true;
    void end(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
