import type { Client } from '@temporalio/client';

/** How long the last progress query after the result may take before it is given up. */
const FINAL_QUERY_MS = 3_000;

/**
 * Asks the server one call at a time (the `progress` query, what is retrying). `stop()` cancels
 * the call in flight and waits for it to settle: a call left running when the connection closes
 * is retried by the SDK on a closed channel, which throws outside any promise and kills the
 * process after the work is done.
 */
export class PeriodicCall<T> {
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The call in flight's own controller: the SDK adds a listener to each call's signal. */
  private current: AbortController | null = null;

  constructor(
    private readonly client: Pick<Client, 'withAbortSignal'>,
    private readonly ask: () => Promise<T>,
    private readonly show: (answer: T) => void,
    private readonly intervalMs = 500,
    /** Hears why a call failed (the call is asked again at the next interval all the same). */
    private readonly onError: (error: unknown) => void | Promise<void> = () => undefined,
  ) {}

  start(): this {
    this.schedule();
    return this;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const controller = new AbortController();
      this.current = controller;
      this.inFlight = this.poll(controller.signal).finally(() => {
        this.inFlight = null;
        this.current = null;
        this.schedule();
      });
    }, this.intervalMs);
  }

  private async poll(signal: AbortSignal): Promise<void> {
    try {
      const answer = await this.client.withAbortSignal(signal, this.ask);
      if (!signal.aborted) this.show(answer);
    } catch (error) {
      // A query fails while the first workflow task is pending, after completion without a
      // worker, or when cancelled here: what is shown while following is a courtesy, never an error.
      if (!signal.aborted) await this.onError(error);
    }
  }

  /** Stops polling; with `final`, asks once more (bounded) so the last stage is shown. Once only. */
  async stop(final = false): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.current?.abort();
    await this.inFlight;
    if (!final) return;
    const last = new AbortController();
    const deadline = setTimeout(() => last.abort(), FINAL_QUERY_MS);
    try {
      await this.poll(last.signal);
    } finally {
      clearTimeout(deadline);
    }
  }
}
