import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
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

  test("on this machine: the session's processes and what they start are its own; another session's program is not", async () => {
    const session = ownSession();
    const marker = `machine-load-${randomUUID()}`;
    const busyLoop = ['-e', 'const t = Date.now() + 20000; while (Date.now() < t);', marker];
    const child = spawn(process.execPath, busyLoop, { stdio: 'ignore' });
    // In a session of its own (as a Temporal server is started), but started by this process.
    const detached = spawn(process.execPath, busyLoop, { stdio: 'ignore', detached: true });
    // Started by no process of the session: setsid's child, in a session of its own.
    spawn('setsid', ['--fork', process.execPath, ...busyLoop], { stdio: 'ignore' });
    const marked = () =>
      readdirSync('/proc')
        .filter((pid) => /^\d+$/.test(pid))
        .filter((pid) => {
          try {
            // The busy loops themselves, not setsid on its way to start one.
            const [command, ...args] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
            return command === process.execPath && args.includes(marker);
          } catch {
            return false;
          }
        })
        .map(Number);
    try {
      while (marked().length < 3) await new Promise((r) => setTimeout(r, 20));
      const other = marked().find((pid) => pid !== child.pid && pid !== detached.pid) ?? -1;
      const before = cpuSnapshot(session);
      const until = Date.now() + 300;
      while (Date.now() < until); // CPU time of this process
      const after = cpuSnapshot(session);
      assert.ok(after.session.has(child.pid ?? -1), 'the child, in the session');
      assert.ok(after.session.has(detached.pid ?? -1), 'the child in a session of its own');
      assert.ok(!after.session.has(other), "the other session's program");
      const mine = (after.session.get(process.pid) ?? 0) - (before.session.get(process.pid) ?? 0);
      assert.ok(mine > 0, `this process's ticks: ${mine}`);
      assert.ok(after.total > before.total && after.busy > before.busy);
    } finally {
      for (const pid of marked()) process.kill(pid, 'SIGKILL');
    }
  });
});
