import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Client, ServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { followWorkflow, progressView } from '../../../src/client/follow.js';
import {
  noWorkerLine,
  retryingIn,
  retryLine,
  retryLines,
  workflowsToLookInto,
} from '../../../src/client/held-up.js';
import { progressLine, timeLeft } from '../../../src/client/progress-line.js';
import type { Progress } from '../../../src/workflows/common.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A client double whose progress queries take `queryMs` each and honour the abort signal the
 * way the SDK's calls do; it counts the queries running at any moment.
 */
function slowQueryClient(queryMs: number) {
  let signal: AbortSignal | null = null;
  let finish: (value: unknown) => void = () => undefined;
  const counts = { running: 0, most: 0, started: 0, cancelled: 0 };
  const signals = new Set<AbortSignal>();
  const handle = {
    query: async (): Promise<Progress> => {
      const mine = signal;
      if (mine) signals.add(mine);
      counts.started++;
      counts.running++;
      counts.most = Math.max(counts.most, counts.running);
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, queryMs);
          mine?.addEventListener('abort', () => {
            clearTimeout(timer);
            counts.cancelled++;
            reject(new Error('cancelled'));
          });
        });
      } finally {
        counts.running--;
      }
      return { workflow: 'w', stage: 'analysing', total: 2, done: 1, failed: 0, current: [], waiting: [] };
    },
    result: () => new Promise((resolve) => (finish = resolve)),
  };
  const client = {
    workflow: { getHandle: () => handle },
    withAbortSignal: async <R>(s: AbortSignal, fn: () => Promise<R>) => {
      signal = s;
      return await fn();
    },
  } as unknown as Client;
  return { client, counts, signals, finish: (value: unknown) => finish(value) };
}

/** A client whose every workflow handle is `handle` (queries, result, describe as the test gives them). */
function clientOf(handle: object): Client {
  return {
    workflow: { getHandle: () => handle },
    withAbortSignal: async <R>(_: AbortSignal, fn: () => Promise<R>) => await fn(),
  } as unknown as Client;
}

describe('followWorkflow', () => {
  it('leaves no progress query running when it returns (the connection closes next)', async () => {
    const double = slowQueryClient(5_000);
    const following = followWorkflow<string>(double.client, 'w', {
      progressBar: false,
      log: () => undefined,
    });
    await sleep(700); // the first poll (after 500 ms) is now waiting for its answer
    assert.equal(double.counts.running, 1);
    double.finish('the result');
    assert.equal(await following, 'the result');
    assert.equal(double.counts.running, 0, 'a query outlived followWorkflow');
    assert.ok(double.counts.cancelled >= 1, 'the waiting query was cancelled, not left to finish');
  });

  it('asks one query at a time, however slow the answers, each with its own abort signal', async () => {
    const double = slowQueryClient(1_200);
    const following = followWorkflow(double.client, 'w', { progressBar: false, log: () => undefined });
    await sleep(3_000);
    double.finish('done');
    await following;
    assert.ok(double.counts.started >= 2, `${double.counts.started} queries`);
    assert.equal(double.counts.most, 1);
    // A signal shared by every poll collects one listener per call: node warns of a leak after ten.
    assert.equal(double.signals.size, double.counts.started);
  });
});

describe('progress without a bar (a log)', () => {
  it('a line per stage, and within a stage one when work finished since, at most every 10 s', () => {
    let clock = 0;
    const lines: string[] = [];
    const view = progressView({ progressBar: false, log: (l) => lines.push(l), now: () => clock });
    const at = (seconds: number, stage: string, done: number) => {
      clock = seconds * 1000;
      view.show({ workflow: 'w', stage, total: 29, done, failed: 0, current: [], waiting: [] });
    };
    at(0, 'analysing', 0);
    at(3, 'analysing', 1); // too soon
    at(12, 'analysing', 1); // a line: work finished since the last one
    at(18, 'analysing', 5); // too soon after that line
    at(25, 'analysing', 5);
    at(40, 'analysing', 5); // nothing finished since
    at(41, 'publishing', 29); // a new stage: at once
    assert.deepEqual(lines, [
      'analysing (0/29)',
      'analysing (1/29)',
      'analysing (5/29)',
      'publishing (29/29)',
    ]);
  });
});

describe("a stage's notes (a preview's cost estimate)", () => {
  // The preview adds its estimate's notes and moves on to its next stage in one step: a poll
  // sees them with a later stage, and they are what came before that stage's line.
  const notes = ['cost before running (estimate):', '  total 1.00 MiB in 1 query'];
  const poll = (show: (p: Progress) => void) => (stage: string, seen: string[]) =>
    show({
      workflow: 'w',
      stage,
      total: 3,
      done: 0,
      failed: 0,
      current: [],
      waiting: [],
      notes: seen,
      ...(seen.length > 0 ? { notesStage: 'estimating cost' } : {}),
    });

  it('come after the line of the stage that found them and before the next one, once', () => {
    const lines: string[] = [];
    const at = poll(progressView({ progressBar: false, log: (l) => lines.push(l), now: () => 0 }).show);
    at('estimating cost', []);
    at('analysing', notes);
    at('analysing', notes);
    assert.deepEqual(lines, ['estimating cost (0/3)', ...notes, 'analysing (0/3)']);
  });

  it('come before the first line a poll sees after the estimate', () => {
    const lines: string[] = [];
    const at = poll(progressView({ progressBar: false, log: (l) => lines.push(l), now: () => 0 }).show);
    at('analysing', notes);
    assert.deepEqual(lines, [...notes, 'analysing (0/3)']);
  });

  it("come after their own stage's line when a poll first sees both at once (a preview refused for its estimate)", () => {
    const lines: string[] = [];
    const at = poll(progressView({ progressBar: false, log: (l) => lines.push(l), now: () => 0 }).show);
    // The run failed in the stage that found the notes: the last poll is the first to see either.
    at('estimating cost', notes);
    at('estimating cost', notes);
    assert.deepEqual(lines, ['estimating cost (0/3)', ...notes]);

    const seenBefore: string[] = [];
    const again = poll(
      progressView({ progressBar: false, log: (l) => seenBefore.push(l), now: () => 0 }).show,
    );
    again('estimating cost', []);
    again('estimating cost', notes);
    assert.deepEqual(seenBefore, ['estimating cost (0/3)', ...notes]);
  });
});

describe('progress lines of a long fan-out', () => {
  it('say what failed and what runs, estimate the time left, and keep coming while nothing finishes', () => {
    let clock = 0;
    const lines: string[] = [];
    const view = progressView({ progressBar: false, log: (l) => lines.push(l), now: () => clock });
    const at = (seconds: number, done: number, failed: number, current: string[]) => {
      clock = seconds * 1000;
      view.show({ workflow: 'w', stage: 'analysing', total: 168, done, failed, current, waiting: [] });
    };
    const six = ['a 03-15', 'b 03-15', 'c 03-15', 'd 03-15', 'e 03-15', 'f 03-16'];
    at(0, 10, 0, six);
    at(60, 30, 2, six); // 20 finished in 60 s: 138 left take about 7 min
    at(70, 30, 2, six); // nothing finished: no line yet
    at(125, 30, 2, ['a 03-15']); // nothing finished for a minute: a line all the same
    assert.deepEqual(lines, [
      'analysing (10/168) running: a 03-15, b 03-15, c 03-15 and 3 more',
      'analysing (30/168, 2 failed) running: a 03-15, b 03-15, c 03-15 and 3 more; about 7 min left',
      'analysing (30/168, 2 failed) running: a 03-15; about 14 min left',
    ]);
  });

  it('stop estimating once the time estimated when a unit last finished has passed', () => {
    let clock = 0;
    const lines: string[] = [];
    const view = progressView({ progressBar: false, log: (l) => lines.push(l), now: () => clock });
    const at = (seconds: number, done: number, current: string[]) => {
      clock = seconds * 1000;
      view.show({ workflow: 'w', stage: 'analysing', total: 6, done, failed: 0, current, waiting: [] });
    };
    at(0, 0, ['a', 'b', 'c', 'd']);
    at(40, 2, ['c', 'd', 'e', 'f']);
    at(60, 5, ['f (rerun)']); // five in a minute: the last one, at that rate, takes seconds
    at(125, 5, ['f (rerun)']); // it has run a minute longer: the rate says nothing about it
    at(190, 5, ['f (rerun)']);
    assert.deepEqual(lines, [
      'analysing (0/6) running: a, b, c and 1 more',
      'analysing (2/6) running: c, d, e and 1 more; about 1 min left',
      'analysing (5/6) running: f (rerun); under a minute left',
      'analysing (5/6) running: f (rerun)',
      'analysing (5/6) running: f (rerun)',
    ]);
  });

  it('a stage without units has no counts', () => {
    assert.equal(
      progressLine(
        {
          workflow: 'w',
          stage: 'selecting experiments',
          total: 0,
          done: 0,
          failed: 0,
          current: [],
          waiting: [],
        },
        null,
      ),
      'selecting experiments',
    );
    assert.equal(timeLeft(20_000), 'under a minute left');
    assert.equal(timeLeft(3 * 3_600_000), 'about 3.0 h left');
  });
});

describe('followWorkflow when the server goes away', () => {
  const gone = () =>
    new ServiceError('Failed to get Workflow execution history', {
      cause: Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), { code: 14 }),
    });
  const clientFailingWith = (error: Error) => {
    const handle = {
      query: async (): Promise<Progress> => ({
        workflow: 'w',
        stage: 'analysing',
        total: 2,
        done: 1,
        failed: 0,
        current: [],
        waiting: [],
      }),
      result: () => Promise.reject(error),
      describe: async () => ({ raw: { pendingActivities: [] } }),
    };
    return clientOf(handle);
  };

  it("says the workflow is durable and how to follow it again, not the SDK's words alone", async () => {
    await assert.rejects(
      followWorkflow(clientFailingWith(gone()), 'backfill/x/2026-03-09..2026-03-15', {
        progressBar: false,
        log: () => undefined,
        serverWaitMs: 0,
      }),
      (error: Error) => {
        assert.equal(error.name, 'CliError');
        assert.match(
          error.message,
          /^lost Temporal while following backfill\/x\/2026-03-09\.\.2026-03-15 \(Failed to get Workflow execution history\); the workflow is durable: once the server answers again, `contrail status backfill\/x\/2026-03-09\.\.2026-03-15` follows it to its end$/,
        );
        return true;
      },
    );
  });

  it('a server that refuses the long poll (restarting) is waited for, and the run followed to its end', async () => {
    let refusals = 0;
    const handle = {
      query: async (): Promise<Progress> => {
        throw gone();
      },
      result: async () => {
        if (refusals++ < 2) throw gone();
        return 'done';
      },
      describe: async () => {
        throw gone();
      },
    };
    const lines: string[] = [];
    const result = await followWorkflow(clientOf(handle), 'daily/2026-03-15', {
      progressBar: false,
      log: (l) => lines.push(l),
      address: '127.0.0.1:7233',
    });
    assert.equal(result, 'done');
    assert.deepEqual(lines, [
      'Temporal at 127.0.0.1:7233 does not answer; waiting for it (daily/2026-03-15 is durable and goes on once it is back; Ctrl-C stops following)',
    ]);
  });

  it('says at once when the server stops answering, and when it answers again', async () => {
    let calls = 0;
    let finish: (value: unknown) => void = () => undefined;
    const handle = {
      query: async (): Promise<Progress> => {
        calls++;
        if (calls <= 2) throw gone();
        return { workflow: 'w', stage: 'analysing', total: 2, done: 1, failed: 0, current: [], waiting: [] };
      },
      result: () => new Promise((resolve) => (finish = resolve)),
      describe: async () => ({ raw: { pendingActivities: [] } }),
    };
    const client = clientOf(handle);
    const lines: string[] = [];
    const following = followWorkflow(client, 'daily/2026-03-15', {
      progressBar: false,
      log: (l) => lines.push(l),
    });
    while (calls < 4) await sleep(100);
    finish('done');
    assert.equal(await following, 'done');
    assert.deepEqual(lines.slice(0, 3), [
      'the Temporal server does not answer; waiting for it (daily/2026-03-15 is durable and goes on once it is back; Ctrl-C stops following)',
      'the Temporal server answers again',
      'analysing (1/2)',
    ]);
  });

  it('says the server answers again as soon as it does, though no worker answers the progress query; names its address', async () => {
    const timedOut = () =>
      new ServiceError('Failed to query Workflow', {
        cause: Object.assign(new Error('4 DEADLINE_EXCEEDED: context deadline exceeded'), { code: 4 }),
      });
    let back = false;
    let finish: (value: unknown) => void = () => undefined;
    const handle = {
      query: async (): Promise<Progress> => {
        throw back ? timedOut() : gone();
      },
      result: () => new Promise((resolve) => (finish = resolve)),
      describe: async () => {
        if (!back) throw gone();
        return { raw: { pendingActivities: [] }, status: { name: 'RUNNING' } };
      },
    };
    const lines: string[] = [];
    const following = followWorkflow(clientOf(handle), 'daily/2026-03-15', {
      progressBar: false,
      log: (l) => lines.push(l),
      retryCheckMs: 50,
      address: '127.0.0.1:7233',
    });
    const until = async (pattern: RegExp) => {
      const deadline = Date.now() + 5_000;
      while (!lines.some((l) => pattern.test(l)) && Date.now() < deadline) await sleep(50);
    };
    await until(/does not answer/);
    back = true;
    await until(/answers again/);
    finish('done');
    await following;
    assert.deepEqual(lines, [
      'Temporal at 127.0.0.1:7233 does not answer; waiting for it (daily/2026-03-15 is durable and goes on once it is back; Ctrl-C stops following)',
      'Temporal at 127.0.0.1:7233 answers again',
    ]);
  });

  it('does not call a server gone whose queries time out because no worker answers them', async () => {
    const timedOut = () =>
      new ServiceError('Failed to query Workflow', {
        cause: Object.assign(new Error('4 DEADLINE_EXCEEDED: context deadline exceeded'), { code: 4 }),
      });
    const follow = async (describe: () => Promise<unknown>) => {
      let calls = 0;
      let finish: (value: unknown) => void = () => undefined;
      const handle = {
        query: async (): Promise<Progress> => {
          calls++;
          throw timedOut();
        },
        result: () => new Promise((resolve) => (finish = resolve)),
        describe,
      };
      const client = clientOf(handle);
      const lines: string[] = [];
      const following = followWorkflow(client, 'daily/2026-03-15', {
        progressBar: false,
        log: (l) => lines.push(l),
        retryCheckMs: 60_000,
      });
      while (calls < 2) await sleep(100);
      finish('done');
      await following;
      return lines.filter((l) => l.startsWith('the Temporal server'));
    };
    // The server answers what needs no worker: the query timed out waiting for one.
    assert.deepEqual(await follow(async () => ({ raw: { pendingActivities: [] } })), []);
    // It answers nothing: then it is the server.
    assert.deepEqual(
      await follow(async () => {
        throw timedOut();
      }),
      [
        'the Temporal server does not answer; waiting for it (daily/2026-03-15 is durable and goes on once it is back; Ctrl-C stops following)',
      ],
    );
  });

  it('in embedded mode, says its own server stopped; other errors pass unchanged', async () => {
    await assert.rejects(
      followWorkflow(clientFailingWith(gone()), 'w', {
        progressBar: false,
        log: () => undefined,
        embedded: true,
      }),
      { message: /^the embedded Temporal server stopped answering while running w / },
    );
    const other = new Error('something else');
    await assert.rejects(
      followWorkflow(clientFailingWith(other), 'w', { progressBar: false, log: () => undefined }),
      (error) => error === other,
    );
  });
});

describe('what is retrying while a run is followed', () => {
  const pending = (attempt: number, message = 'BigQuery gave no answer') => ({
    activityType: { name: 'estimatePreviewCost' },
    attempt,
    lastFailure: { message: 'activity failed', cause: { message } },
  });

  it('activities past their first attempt, with their innermost failure', () => {
    const retrying = retryingIn('preview/x', {
      raw: { pendingActivities: [pending(1), pending(3), { attempt: 2 }] },
    } as never);
    assert.deepEqual(retrying, [
      {
        workflowId: 'preview/x',
        activity: 'estimatePreviewCost',
        attempt: 3,
        failure: 'BigQuery gave no answer',
      },
    ]);
    assert.equal(
      retryLine(retrying[0]!),
      'retrying estimatePreviewCost (attempt 3) in preview/x: BigQuery gave no answer',
    );
  });

  it('each attempt said once; a failure in full once per activity, then "failed the same way" until it changes', () => {
    const lines = retryLines();
    const r = (attempt: number, failure: string, workflowId = 'preview/x') => ({
      workflowId,
      activity: 'prepareDataset',
      attempt,
      failure,
    });
    const gone = 'BigQuery gave no answer at http://127.0.0.1:9 (CONTRAIL_BIGQUERY_ENDPOINT)';
    assert.deepEqual(lines([r(2, gone), r(2, gone, 'analysis/y')]), [
      `retrying prepareDataset (attempt 2) in preview/x: ${gone}`,
      `retrying prepareDataset (attempt 2) in analysis/y: ${gone}`,
    ]);
    assert.deepEqual(lines([r(2, gone)]), [], 'an attempt already said');
    assert.deepEqual(lines([r(3, gone)]), [
      'retrying prepareDataset (attempt 3) in preview/x: failed the same way',
    ]);
    assert.deepEqual(lines([r(4, 'Access Denied')]), [
      'retrying prepareDataset (attempt 4) in preview/x: Access Denied',
    ]);
    assert.deepEqual(lines([r(5, gone)]), [`retrying prepareDataset (attempt 5) in preview/x: ${gone}`]);
  });

  /**
   * Follows run `w` for `ms` on a client double whose workflows are described by `describe` (by
   * id) and whose task queue lists `pollers`; the lines the command printed.
   */
  async function follow(
    describe: (id: string) => unknown,
    pollers: { lastAccessTime: ReturnType<typeof msToTs> }[],
    ms: number,
    runs?: string[],
  ): Promise<string[]> {
    let finish: (value: unknown) => void = () => undefined;
    const progress: Progress = {
      workflow: 'w',
      stage: 'estimating',
      total: 1,
      done: 0,
      failed: 0,
      current: [],
      waiting: [],
      ...(runs ? { runs } : {}),
    };
    const handle = (id: string) => ({
      workflowId: id,
      query: async () => progress,
      describe: async () => describe(id),
      result: () => new Promise((resolve) => (finish = resolve)),
    });
    const client = {
      options: { namespace: 'default' },
      workflow: { getHandle: handle },
      workflowService: { describeTaskQueue: async () => ({ pollers }) },
      withAbortSignal: async <R>(_: AbortSignal, fn: () => Promise<R>) => await fn(),
    } as unknown as Client;
    const lines: string[] = [];
    const following = followWorkflow(client, 'w', {
      progressBar: false,
      log: (l) => lines.push(l),
      retryCheckMs: 50,
    });
    await sleep(ms);
    finish('done');
    await following;
    return lines;
  }

  it('says each attempt once, in the followed run and in its running children', async () => {
    const asked = new Map<string, number>();
    const describe = (id: string) => {
      asked.set(id, (asked.get(id) ?? 0) + 1);
      // The run's own activity is in its second attempt, then its third; a child's in its second.
      const attempt = Math.min(1 + (asked.get(id) ?? 0), 3);
      return {
        taskQueue: 'q',
        status: { name: 'RUNNING' },
        raw: {
          pendingActivities: [pending(id === 'w' ? attempt : 2, `${id} failed`)],
          pendingChildren: id === 'w' ? [{ workflowId: 'child', runId: 'r' }] : [],
        },
      };
    };
    const lines = await follow(describe, [{ lastAccessTime: msToTs(Date.now()) }], 600);
    assert.deepEqual(
      lines.filter((l) => l.startsWith('retrying')),
      [
        'retrying estimatePreviewCost (attempt 2) in w: w failed',
        'retrying estimatePreviewCost (attempt 2) in child: child failed',
        'retrying estimatePreviewCost (attempt 3) in w: failed the same way',
      ],
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith('no worker')),
      [],
      'a worker polls',
    );
  });

  it('says a failure in full once per activity, and each retry that failed the same way in a few words', async () => {
    // An unreachable endpoint, retried: the same message on every attempt, until it changes.
    const unreachable =
      'BigQuery gave no answer at http://127.0.0.1:9 (CONTRAIL_BIGQUERY_ENDPOINT): connect ECONNREFUSED';
    const failures = [
      unreachable,
      unreachable,
      unreachable,
      'Not found: Dataset p:tmp',
      'Not found: Dataset p:tmp',
    ];
    let looks = 0;
    const describe = (id: string) => {
      const attempt = id === 'w' ? Math.min(2 + looks++, 6) : 2;
      return {
        taskQueue: 'q',
        status: { name: 'RUNNING' },
        raw: {
          pendingActivities: [pending(attempt, id === 'w' ? failures[attempt - 2] : unreachable)],
          pendingChildren: id === 'w' ? [{ workflowId: 'child', runId: 'r' }] : [],
        },
      };
    };
    const lines = await follow(describe, [{ lastAccessTime: msToTs(Date.now()) }], 1_000);
    const said = lines.filter((l) => l.startsWith('retrying'));
    assert.deepEqual(
      said.filter((l) => l.includes(' in w:')),
      [
        `retrying estimatePreviewCost (attempt 2) in w: ${unreachable}`,
        'retrying estimatePreviewCost (attempt 3) in w: failed the same way',
        'retrying estimatePreviewCost (attempt 4) in w: failed the same way',
        'retrying estimatePreviewCost (attempt 5) in w: Not found: Dataset p:tmp',
        'retrying estimatePreviewCost (attempt 6) in w: failed the same way',
      ],
    );
    // Another workflow's activity is other work: its first failure is said in full.
    assert.deepEqual(
      said.filter((l) => l.includes(' in child:')),
      [`retrying estimatePreviewCost (attempt 2) in child: ${unreachable}`],
    );
  });

  it('says the retries of the runs a parent started on their pinned builds, which are not its children', async () => {
    // A backfill starts its analyses through activities: the parent's description lists no
    // children and no retrying activity of its own; its progress names the runs it awaits.
    const analyses = [
      'analysis/a/2026-03-15',
      'analysis/b/2026-03-15',
      'analysis/c/2026-03-15',
      'analysis/d/2026-03-15',
    ];
    const describe = (id: string) => ({
      taskQueue: 'q',
      status: { name: 'RUNNING' },
      raw: {
        pendingActivities:
          id === 'analysis/b/2026-03-15' || id === 'analysis/d/2026-03-15'
            ? [
                {
                  activityType: { name: 'computeMetrics' },
                  attempt: 2,
                  lastFailure: { message: 'No space left on device' },
                },
              ]
            : [],
        pendingChildren: [],
      },
    });
    const lines = await follow(describe, [{ lastAccessTime: msToTs(Date.now()) }], 1_000, analyses);
    assert.deepEqual(lines.filter((l) => l.startsWith('retrying')).sort(), [
      'retrying computeMetrics (attempt 2) in analysis/b/2026-03-15: No space left on device',
      'retrying computeMetrics (attempt 2) in analysis/d/2026-03-15: No space left on device',
    ]);
  });

  it('looks into a few children and runs at a time, the next few on each look', () => {
    const children = [{ workflowId: 'child', runId: 'r' }, { workflowId: null }];
    const runs = ['r1', 'r2', 'r3', 'child'];
    const ids = (turn: number) => workflowsToLookInto(children, runs, turn).map((w) => w.workflowId);
    assert.deepEqual(ids(0), ['child', 'r1', 'r2']);
    assert.deepEqual(ids(1), ['r3', 'child', 'r1']);
    assert.deepEqual(workflowsToLookInto(children, ['r1'], 5), [
      { workflowId: 'child', runId: 'r' },
      { workflowId: 'r1' },
    ]);
  });

  it('a run no worker serves is said once, with what to do', async () => {
    // A worker that stopped ten minutes ago is still listed; it does not count.
    const stale = { lastAccessTime: msToTs(Date.now() - 600_000) };
    const lines = await follow(
      () => ({ taskQueue: 'contrail', status: { name: 'RUNNING' }, raw: {} }),
      [stale],
      400,
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith('no worker')),
      [noWorkerLine('contrail')],
    );
    assert.match(noWorkerLine('contrail'), /no worker polls task queue 'contrail': .*contrail worker/);
  });
});
