/**
 * Statistics engine benchmarks. Run: node --import tsx bench/statistics.ts [--threads N]
 * Targets: bootstrap_mean, 10,000 samples, 2 branches × 1,000,000 clients: ≤ 1 s at 1,000
 * distinct values per branch; ≤ 1.5 s at 10,000 on the statistics threads of a 2-core machine;
 * every statistic of the firefox_desktop defaults for one period and 3 branches: ≤ 5 s.
 *
 * The bootstrap lines give draws per second next to a bound: the work is one gamma draw per
 * distinct value per sample per branch, and the bound is the sampling kernel's own rate on
 * this machine (measured alone on one thread, here, just before) times the threads. The gap
 * is everything else: histograms, clipping, summaries, moving data between threads, and other
 * processes on the machine (the load average is printed: timings on a shared machine are noisy).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { chunkCount, dirichletChunks } from '../src/statistics/dirichlet.js';
import { computeStatistic, type StatisticInput, startStatistic } from '../src/statistics/index.js';
import { StatisticsPool } from '../src/statistics/pool.js';
import { RandomStream } from '../src/statistics/random.js';
import type { StatisticSpec } from '../src/statistics/spec.js';
import { metricHubFixtures } from '../test/helpers/fixtures.js';

const CTX = {
  segment: 'all',
  analysisBasis: 'enrollments' as const,
  windowIndex: '1',
  referenceBranch: 'control',
  seed: 1,
};

/** A heavy-tailed metric histogram: `distinct` values whose counts add up to `clients`. */
function branchBins(distinct: number, clients: number, shift: number, withCovariate = false) {
  const r = RandomStream.of(42, 'bench', String(distinct), String(shift));
  const weights = Array.from(
    { length: distinct },
    (_, i) => Math.exp(-i / (distinct / 6)) * (0.5 + r.uniform()),
  );
  const total = weights.reduce((a, b) => a + b);
  let left = clients;
  return weights.map((w, i) => {
    const count = i === distinct - 1 ? left : Math.max(1, Math.round((w / total) * clients));
    left -= count;
    const y = i * 0.37 + shift;
    return withCovariate
      ? { y, x: y * 0.8 + (i % 7), count: Math.max(1, count) }
      : { y, count: Math.max(1, count) };
  });
}

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const out = f();
  return [out, (performance.now() - t0) / 1000];
}

const spec = (name: string, params: StatisticSpec['params'] = {}, pre: string[] = []): StatisticSpec => ({
  name,
  params,
  preTreatments: pre.map((p) => ({ name: p, args: {} })),
});

const threadsArg = process.argv.indexOf('--threads');
const THREADS = threadsArg > 0 ? Number(process.argv[threadsArg + 1]) : Math.max(1, availableParallelism());
const pool = new StatisticsPool(THREADS);
const load = () => loadavg()[0]?.toFixed(1);
const M = (x: number) => `${(x / 1e6).toFixed(0)} M`;

/**
 * Starts every thread and compiles the kernel on it, as in a worker process that has been
 * computing statistics: threads end after 10 s idle, and starting one (loading the engine) is
 * not what this measures. Run just before each timing.
 */
const warmUp = () =>
  pool.compute({
    statistic: spec('bootstrap_mean', { num_samples: 500 * 2 * THREADS }),
    input: {
      metric: 'm',
      windowDays: 7,
      branches: ['a', 'b'].map((branch) => ({ branch, bins: branchBins(2_000, 100_000, 0) })),
    },
    context: CTX,
  });

for (const distinct of [1_000, 10_000]) {
  const input: StatisticInput = {
    metric: 'm',
    windowDays: 7,
    branches: ['control', 'treatment'].map((b, k) => ({
      branch: b,
      bins: branchBins(distinct, 1_000_000, k * 0.1),
    })),
  };
  const stat = spec('bootstrap_mean');
  const title = `bootstrap_mean 10,000 samples, 2 branches × 1,000,000 clients, ${distinct} distinct values`;
  // The work: one gamma draw per distinct value (after clipping) per sample per branch.
  const start = startStatistic(stat, input, CTX);
  if (start.kind !== 'bootstrap') throw new Error('bootstrap_mean is a bootstrap');
  const draws = start.draws.reduce((n, d) => n + (d ? d.problem.counts.length * d.numSamples : 0), 0);
  // The kernel alone on one thread: two chunks of the first branch, best of three (the first
  // also compiles it).
  const first = start.draws[0];
  if (!first) throw new Error('the first branch has data');
  const kernelChunks = Math.min(2, chunkCount(first.numSamples));
  let kernelSeconds = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    kernelSeconds = Math.min(kernelSeconds, time(() => dirichletChunks(first, 0, kernelChunks))[1]);
  }
  const kernelRate =
    (first.problem.counts.length * Math.min(first.numSamples, 500 * kernelChunks)) / kernelSeconds;

  const cpu0 = process.cpuUsage();
  const [one, s1] = time(() => computeStatistic(stat, input, CTX));
  const cpu1 = process.cpuUsage(cpu0).user / 1e6;
  await warmUp();
  const cpu2 = process.cpuUsage();
  const t0 = performance.now();
  const many = await pool.compute({ statistic: stat, input, context: CTX });
  const sN = (performance.now() - t0) / 1000;
  const cpuN = process.cpuUsage(cpu2).user / 1e6;
  const same = JSON.stringify(one) === JSON.stringify(many) ? 'identical results' : 'RESULTS DIFFER';
  const target = distinct === 1_000 ? 1 : 1.5;
  console.log(`${title} (${M(draws)} gamma draws; load average ${load()}):`);
  console.log(
    `  1 thread:  ${s1.toFixed(2)} s (cpu ${cpu1.toFixed(2)} s), ${M(draws / s1)} draws/s; bound ${M(kernelRate)} draws/s (the kernel alone)`,
  );
  console.log(
    `  ${THREADS} threads: ${sN.toFixed(2)} s (target ≤ ${target} s; cpu ${cpuN.toFixed(2)} s), ${M(draws / sN)} draws/s; bound ${M(kernelRate * THREADS)} draws/s (${THREADS} × the kernel); ${same}, ${many.rows.length} rows`,
  );
}
await pool.close();

// Every statistic of the firefox_desktop defaults, one period (weekly), 3 branches.
const toml = parse(
  readFileSync(join(metricHubFixtures(), 'jetstream', 'defaults', 'firefox_desktop.toml'), 'utf8'),
) as { metrics: Record<string, unknown> & { weekly: string[] } };
const jobs: { metric: string; stat: StatisticSpec }[] = [];
for (const metric of toml.metrics.weekly) {
  const m = toml.metrics[metric] as { statistics?: Record<string, Record<string, unknown>> } | undefined;
  for (const [name, raw] of Object.entries(m?.statistics ?? {})) {
    const { pre_treatments, ...params } = raw as { pre_treatments?: string[] } & Record<string, unknown>;
    jobs.push({ metric, stat: spec(name, params as StatisticSpec['params'], pre_treatments ?? []) });
  }
}
const BRANCHES = ['control', 'treatment-a', 'treatment-b'];
const CLIENTS = 1_000_000;
const [rows, total] = time(() =>
  jobs.reduce((n, { metric, stat }) => {
    const binary = stat.name === 'binomial';
    const input: StatisticInput = {
      metric,
      windowDays: 7,
      branches: BRANCHES.map((b, k) => ({
        branch: b,
        bins: binary
          ? [
              { y: 1, count: 300_000 + k * 1000 },
              { y: 0, count: CLIENTS - 300_000 - k * 1000 },
            ]
          : branchBins(1_000, CLIENTS, k * 0.05, stat.params.covariate_adjustment !== undefined),
      })),
    };
    return n + computeStatistic(stat, input, CTX).rows.length;
  }, 0),
);
console.log(
  `firefox_desktop defaults, weekly: ${jobs.length} statistics (${[...new Set(jobs.map((j) => j.stat.name))].join(', ')}), 3 branches × ${CLIENTS.toLocaleString('en')} clients, 1,000 distinct values: ${total.toFixed(2)} s (target ≤ 5 s; ${rows} rows)`,
);
