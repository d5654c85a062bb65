/**
 * The signals that stop a command the way Ctrl-C does. A closed terminal (SIGHUP) is one: its
 * user is gone as surely as one who pressed Ctrl-C, and what the command started must end as
 * cleanly (cancelled, nothing half-written, nothing left running), not as after a kill.
 */
export const INTERRUPTS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP: `end` ends the command its own way (an embedded command
 * cancels its workflows and stops its server; `sample` stops its query and drops what it
 * staged). A second signal stops the process at once (an embedded server's watchdog stops the
 * server with it). Returns the function that stops listening.
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
  for (const signal of INTERRUPTS) process.on(signal, onSignal);
  return () => {
    for (const signal of INTERRUPTS) process.off(signal, onSignal);
  };
}

/** Resolves on the first of the interrupting signals (a command that only waits to be stopped). */
export function nextInterrupt(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      for (const s of INTERRUPTS) process.off(s, onSignal);
      resolve(signal);
    };
    for (const signal of INTERRUPTS) process.on(signal, onSignal);
  });
}
