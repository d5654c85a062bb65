import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionWatch } from '../../../src/client/connection-watch.js';

/** A retry line as the SDK's native core forwards it (message and meta), for a call's status. */
function retried(call: string, times: number, status: string): [string, { error: string; target: string }] {
  return [
    `gRPC call ${call} retried ${times} times`,
    {
      target: 'temporalio_client::retry',
      error: `Status { ${status}, source: Some(tonic::transport::Error(…)) }`,
    },
  ];
}
const refused = retried(
  'poll_workflow_task_queue',
  6,
  'code: Unavailable, message: "tcp connect error", source: Some(ConnectError("tcp connect error", 127.0.0.1:7233, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" }))',
);
const broken = retried(
  'poll_activity_task_queue',
  7,
  'code: Unknown, message: "transport error", source: Some(hyper::Error(Io, Custom { kind: BrokenPipe, error: "stream closed because of a broken pipe" }))',
);

const tick = () => new Promise((r) => setTimeout(r, 20));

function watchWith(probe: () => Promise<boolean>, clock = { now: 0 }) {
  const lines: string[] = [];
  const watch = new ConnectionWatch({
    address: '127.0.0.1:7233',
    log: (line) => lines.push(line),
    probe,
    probeEveryMs: 1,
    remindEveryMs: 300_000,
    now: () => clock.now,
  });
  return { watch, lines, clock };
}

describe("a worker's view of its Temporal server", () => {
  it("says a lost server once, naming its address and what the worker does, instead of the SDK's retry lines", async () => {
    const { watch, lines } = watchWith(async () => false);
    try {
      assert.equal(watch.observe(...broken), true);
      for (let i = 0; i < 20; i++) assert.equal(watch.observe(...refused), true, 'every retry is taken');
      await tick();
      assert.deepEqual(lines, [
        'lost Temporal at 127.0.0.1:7233 (connection closed); retrying until it answers, then this worker goes on by itself (runs wait on the server meanwhile; Ctrl-C stops the worker)',
      ]);
    } finally {
      watch.stop();
    }
  });

  it('leaves other lines alone: state changes, and retries the server answered with a refusal', () => {
    const { watch, lines } = watchWith(async () => false);
    assert.equal(watch.observe('Worker state changed', { state: 'RUNNING' }), false);
    assert.equal(
      watch.observe(
        ...retried('poll_workflow_task_queue', 6, 'code: NotFound, message: "namespace x not found"'),
      ),
      false,
    );
    assert.equal(
      watch.observe('gRPC call poll_workflow_task_queue retried 6 times'),
      false,
      'no status at all',
    );
    assert.deepEqual(lines, []);
    assert.equal(watch.lost, false);
  });

  it('says when the server answers again, and a later loss anew', async () => {
    let answers = false;
    const { watch, lines, clock } = watchWith(async () => answers);
    try {
      watch.observe(...refused);
      await tick();
      assert.equal(watch.lost, true);
      clock.now = 75_000;
      answers = true;
      await tick();
      assert.equal(watch.lost, false);
      assert.equal(
        lines[1],
        'Temporal at 127.0.0.1:7233 answers again (no answer for at least 75 s); this worker polls again',
      );
      answers = false;
      watch.observe(...refused);
      assert.equal(lines.length, 3);
      assert.match(lines[2] ?? '', /^lost Temporal at 127\.0\.0\.1:7233 \(connection refused\); /);
    } finally {
      watch.stop();
    }
  });

  it('reminds now and then while the server stays away, and stops asking once stopped', async () => {
    let probes = 0;
    const { watch, lines, clock } = watchWith(async () => {
      probes++;
      return false;
    });
    watch.observe(...refused);
    await tick();
    clock.now = 300_000;
    await tick();
    assert.equal(lines[1], 'Temporal at 127.0.0.1:7233 still does not answer after 5 min; still retrying');
    await tick();
    assert.equal(lines.length, 2, 'one reminder per period');
    watch.stop();
    const asked = probes;
    await tick();
    assert.equal(probes, asked);
  });
});
