import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import {
  type CpuSnapshot,
  concurrencyFor,
  cpuSnapshot,
  othersBusyCores,
  ownSession,
} from '../../helpers/machine-load.js';

const snapshot = (busy: number, total: number, session: [number, number][]): CpuSnapshot => ({
  busy,
  total,
  session: new Map(session),
});

describe("how busy others keep the machine, for the test run's files at once", () => {
  test("the machine's busy time less this session's is others'", () => {
    // 2 cores over 100 ticks each (200 in all): 150 busy, of which this session's processes 50.
    const before = snapshot(1000, 5000, [
      [10, 300],
      [11, 40],
    ]);
    const after = snapshot(1150, 5200, [
      [10, 330],
      [11, 60],
    ]);
    assert.equal(othersBusyCores(before, after, 2), 1);
    // A process of the session started between the two counts whole.
    assert.equal(
      othersBusyCores(
        before,
        snapshot(1150, 5200, [
          [10, 330],
          [11, 60],
          [12, 100],
        ]),
        2,
      ),
      0,
    );
    // A machine idle but for this session: nobody else.
    assert.equal(
      othersBusyCores(
        before,
        snapshot(1050, 5200, [
          [10, 350],
          [11, 40],
        ]),
        2,
      ),
      0,
    );
    assert.equal(othersBusyCores(before, before, 2), 0);
  });

  test('files at once: twice the cores, two fewer for each core others keep busy, from 2 to 8', () => {
    assert.equal(concurrencyFor(2, 0), 4);
    assert.equal(concurrencyFor(2, 0.2), 4);
    assert.equal(concurrencyFor(2, 0.5), 3);
    assert.equal(concurrencyFor(2, 1), 2);
    assert.equal(concurrencyFor(2, 2), 2);
    assert.equal(concurrencyFor(8, 0), 8);
  });

  test("on this machine: this process and its children are the session's; a program started in its own session is not", async () => {
    const session = ownSession();
    const busyLoop = ['-e', 'const t = Date.now() + 20000; while (Date.now() < t);'];
    const child = spawn(process.execPath, busyLoop, { stdio: 'ignore' });
    const other = spawn(process.execPath, busyLoop, { stdio: 'ignore', detached: true });
    try {
      const before = cpuSnapshot(session);
      const until = Date.now() + 300;
      while (Date.now() < until); // CPU time of this process
      const after = cpuSnapshot(session);
      assert.ok(after.session.has(child.pid ?? -1), 'the child is in the session');
      assert.ok(!after.session.has(other.pid ?? -1), 'the program in its own session is not');
      const mine = (after.session.get(process.pid) ?? 0) - (before.session.get(process.pid) ?? 0);
      assert.ok(mine > 0, `this process's ticks: ${mine}`);
      assert.ok(after.total > before.total && after.busy > before.busy);
    } finally {
      child.kill('SIGKILL');
      other.kill('SIGKILL');
    }
  });
});
