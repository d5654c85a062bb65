import type { LogMetadata } from '@temporalio/common';
import type { TemporalTls } from '../settings.js';
import { elapsed } from './format.js';

/**
 * A long-running worker's view of its Temporal server. When the server stops answering, the
 * SDK's native core retries every call (polls included) for as long as the worker runs and
 * logs each retry of each poller as a raw gRPC status, several lines a second, at WARN and
 * later ERROR, and says nothing when the server is back. The worker goes on by itself, so what
 * the operator needs is the state: one line when the server is lost, a reminder now and then,
 * and one line when it answers again. This watch reads those retry lines off the SDK's logger
 * and says that instead.
 */

/** Core's line for a call it retries: `gRPC call poll_workflow_task_queue retried 6 times`. */
const RETRIED = /^gRPC call \w+ retried \d+ times$/;
/** The gRPC status core attaches: `Status { code: Unavailable, message: "tcp connect error", … }`. */
const STATUS = /\bcode: (\w+), message: "((?:[^"\\]|\\.)*)"/;
/**
 * Whether a status says the server did not answer, not that it refused what was asked: a server
 * that went away breaks the calls under way (`Unknown`, "transport error"), then refuses new
 * connections (`Unavailable`).
 */
function noAnswer(code: string, message: string): boolean {
  return (
    code === 'Unavailable' ||
    code === 'DeadlineExceeded' ||
    (code === 'Unknown' && /transport error/i.test(message))
  );
}

export interface ConnectionWatchOptions {
  /** The server's address, as the operator gave it. */
  address: string;
  /** Where the watch's lines go (the worker's stderr). */
  log: (line: string) => void;
  /**
   * Whether the worker polls the server again since `since` (epoch ms, when the loss was seen):
   * the server answering is not enough, the SDK's pollers come back after their own backoff.
   * A rejection counts as no.
   */
  probe: (since: number) => Promise<boolean>;
  /** How often the server is asked while it does not answer (default 2 s). */
  probeEveryMs?: number;
  /** How often a reminder is said while it still does not answer (default 5 min). */
  remindEveryMs?: number;
  now?: () => number;
}

export class ConnectionWatch {
  private lostSince: number | null = null;
  private remindedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: ConnectionWatchOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether the server is currently taken to be lost. */
  get lost(): boolean {
    return this.lostSince !== null;
  }

  /**
   * One log entry of the SDK: true when it was a retry of a call the server did not answer
   * (said here, as the connection's state, instead of as the entry itself).
   */
  observe(message: string, meta?: LogMetadata): boolean {
    if (!RETRIED.test(message)) return false;
    const status = STATUS.exec(typeof meta?.error === 'string' ? meta.error : '');
    if (!status?.[1] || !noAnswer(status[1], status[2] ?? '')) return false;
    if (this.lostSince === null && !this.stopped) {
      this.lostSince = this.now();
      this.remindedAt = this.lostSince;
      this.options.log(
        `lost Temporal at ${this.options.address} (${noAnswerReason(status[1], meta?.error as string, status[2] ?? '')}); ` +
          'retrying until it answers, then this worker goes on by itself (runs wait on the server meanwhile; Ctrl-C stops the worker)',
      );
      this.schedule();
    }
    return true;
  }

  /** Stops asking the server (the worker is stopping). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check(), this.options.probeEveryMs ?? 2_000);
    // The worker's run keeps the process alive; the watch must not keep a stopped one.
    this.timer.unref();
  }

  private async check(): Promise<void> {
    const since = this.lostSince;
    if (since === null || this.stopped) return;
    const answers = await this.options.probe(since).catch(() => false);
    if (this.stopped) return;
    const now = this.now();
    if (answers) {
      this.lostSince = null;
      this.options.log(
        `Temporal at ${this.options.address} answers again (no answer for at least ${elapsed(now - since)}); this worker polls again`,
      );
      return;
    }
    if (now - this.remindedAt >= (this.options.remindEveryMs ?? 300_000)) {
      this.remindedAt = now;
      this.options.log(
        `Temporal at ${this.options.address} still does not answer after ${elapsed(now - since)}; still retrying`,
      );
    }
    this.schedule();
  }
}

/** Why the server did not answer, in a few words: `connection refused`, `no answer in time`, or its own. */
function noAnswerReason(code: string, error: string, message: string): string {
  if (/connection ?refused/i.test(error)) return 'connection refused';
  if (/broken ?pipe|connection ?reset/i.test(error)) return 'connection closed';
  if (code === 'DeadlineExceeded') return 'no answer in time';
  return message || 'no answer';
}

/**
 * Whether the worker of `identity` has polled `taskQueue` since `since` (epoch ms), as the
 * server at `address` lists it, asked on a connection of its own: the worker's client
 * connection backs off for up to minutes after a failure, so it would see the server back late.
 */
export async function pollsAgain(
  target: {
    address: string;
    namespace: string;
    taskQueue: string;
    identity: string;
    tls: TemporalTls | null;
  },
  since: number,
): Promise<boolean> {
  const { Connection } = await import('@temporalio/client');
  const { optionalTsToMs } = await import('@temporalio/common/lib/time.js');
  const connection = await Connection.connect({
    address: target.address,
    connectTimeout: PROBE_DEADLINE_MS,
    ...(target.tls?.connectionOptions() ?? {}),
  });
  try {
    const { pollers } = await connection.withDeadline(Date.now() + PROBE_DEADLINE_MS, () =>
      connection.workflowService.describeTaskQueue({
        namespace: target.namespace,
        taskQueue: { name: target.taskQueue },
      }),
    );
    return (pollers ?? []).some(
      (p) => p.identity === target.identity && (optionalTsToMs(p.lastAccessTime) ?? 0) >= since,
    );
  } finally {
    await connection.close();
  }
}

/** How long one probe of the server may take. */
const PROBE_DEADLINE_MS = 5_000;
