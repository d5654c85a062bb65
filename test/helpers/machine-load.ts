import { readdirSync, readFileSync } from 'node:fs';
import { procStat } from './processes.js';

/**
 * How busy the machine is with work that is not this test run's, for the runner's choice of how
 * many files run at once. The load average cannot tell: right after `npm ci`, setup and the lint
 * of the same job it reads as a busy machine, and a run on a machine of its own started with half
 * the files at once it could run (measured on 2 cores: 447 s at 2 at once, 380 s at 4). So the
 * CPU time the machine spends over a moment is taken less what this session's processes spend
 * (the run, the type check beside it, the npm that started them): what is left is others' work.
 */

/** CPU time so far, in clock ticks: the machine's, and each of one session's processes'. */
export interface CpuSnapshot {
  busy: number;
  total: number;
  /** utime + stime per pid of the session, and of what its processes started in other sessions. */
  session: Map<number, number>;
}

/** The session (setsid) this process belongs to: what its shell and the commands beside it share. */
export function ownSession(): number {
  const fields = procStat('self');
  if (fields === null) throw new Error('no /proc/self/stat');
  return Number(fields[3]);
}

/** Linux's /proc now; throws where there is none. */
export function cpuSnapshot(session: number): CpuSnapshot {
  const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1);
  // user nice system idle iowait irq softirq steal: time a hypervisor gave other machines (steal)
  // is a core this one did not have. Guest time is already within user.
  const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu.map(Number);
  const busy = [user, nice, system, irq, softirq, steal].reduce<number>((sum, n) => sum + (n ?? 0), 0);
  const processes = new Map<number, { ppid: number; session: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = procStat(Number(entry));
    if (fields === null) continue; // exited meanwhile
    // ppid is field 4, session 6, utime 14 and stime 15 (fields[0] is field 3)
    processes.set(Number(entry), {
      ppid: Number(fields[1]),
      session: Number(fields[3]),
      ticks: Number(fields[11]) + Number(fields[12]),
    });
  }
  // The session's processes and what they started in sessions of their own (a Temporal server
  // runs in its own, so that Ctrl-C in a terminal does not reach it).
  const ours = new Map<number, boolean>();
  const isOurs = (pid: number): boolean => {
    const known = ours.get(pid);
    if (known !== undefined) return known;
    ours.set(pid, false); // against a cycle while the table changed under the reading
    const p = processes.get(pid);
    const result = p !== undefined && (p.session === session || (p.ppid > 1 && isOurs(p.ppid)));
    ours.set(pid, result);
    return result;
  };
  const own = new Map<number, number>();
  for (const [pid, p] of processes) if (isOurs(pid)) own.set(pid, p.ticks);
  return { busy, total: busy + (idle ?? 0) + (iowait ?? 0), session: own };
}

/**
 * The cores others kept busy between two snapshots. A process of the session that started between
 * them counts whole; one that ended between them takes its last ticks along, which then count as
 * others' (a slight overestimate, on the safe side).
 */
export function othersBusyCores(before: CpuSnapshot, after: CpuSnapshot, cores: number): number {
  const elapsed = after.total - before.total;
  if (elapsed <= 0) return 0;
  let own = 0;
  for (const [pid, ticks] of after.session) own += ticks - (before.session.get(pid) ?? 0);
  const others = (after.busy - before.busy - own) / elapsed;
  return Math.min(cores, Math.max(0, others * cores));
}

/**
 * Files at once: twice the cores, since integration files mostly wait on the server, less two for
 * each core others keep busy: past that, running more only stretches every file until heartbeats
 * and deadlines start to fail.
 */
export function concurrencyFor(cores: number, othersBusy: number): number {
  return Math.max(2, Math.min(8, 2 * cores - Math.round(2 * othersBusy)));
}
