/**
 * Statistics engine benchmarks. Run: node --import tsx bench/statistics.ts
 * Targets (issue 4): bootstrap_mean, 10,000 samples, 2 branches × 1,000,000 clients: ≤ 1 s at
 * 1,000 distinct values per branch, ≤ 5 s at 10,000; every statistic of the firefox_desktop
 * defaults for one period and 3 branches: ≤ 5 s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import type { StatisticSpec } from '../src/config/spec.js';
import { computeStatistic, type StatisticInput } from '../src/statistics/index.js';
import { RandomStream } from '../src/statistics/random.js';
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

for (const distinct of [1_000, 10_000]) {
  const input: StatisticInput = {
    metric: 'm',
    windowDays: 7,
    branches: ['control', 'treatment'].map((b, k) => ({
      branch: b,
      bins: branchBins(distinct, 1_000_000, k * 0.1),
    })),
  };
  const [out, s] = time(() => computeStatistic(spec('bootstrap_mean'), input, CTX));
  const target = distinct === 1_000 ? 1 : 5;
  console.log(
    `bootstrap_mean 10,000 samples, 2 branches × 1,000,000 clients, ${distinct} distinct values: ${s.toFixed(2)} s (target ≤ ${target} s; ${out.rows.length} rows)`,
  );
}

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
