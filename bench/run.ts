/**
 * Runs every benchmark in bench/, one after another (they measure speed, so they must not
 * compete for the cores), each in its own process, and ends with a table of what ran, how long
 * it took and whether it succeeded. Figures are the benchmarks' own output.
 *
 *   npm run bench                     # every benchmark at its full size
 *   npm run bench -- --quick          # a smoke run: small sizes, to see that each one still works
 *   npm run bench -- sql statistics   # only these
 *
 * A benchmark added to bench/ runs too (with no arguments; CONTRAIL_BENCH_QUICK=1 in a quick run).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('./', import.meta.url));

/** Arguments of each benchmark at full size and in a quick run. */
const SIZES: Record<string, { full: string[]; quick: string[] }> = {
  config: { full: [], quick: [] },
  statistics: { full: [], quick: [] },
  sql: { full: [], quick: ['20000'] },
  sample: { full: [], quick: ['20000', '7'] },
  orchestration: { full: [], quick: ['10'] },
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => !a.startsWith('--'));
const unknownFlags = args.filter((a) => a.startsWith('--') && a !== '--quick');
const available = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -'.ts'.length))
  .sort((a, b) => (SIZES[a] ? 0 : 1) - (SIZES[b] ? 0 : 1) || a.localeCompare(b));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknownFlags.length > 0 || unknown.length > 0) {
  process.stderr.write(
    `bench: ${[...unknownFlags.map((f) => `unknown option ${f}`), ...unknown.map((u) => `no benchmark "${u}"`)].join('; ')}; benchmarks: ${available.join(', ')}; option: --quick\n`,
  );
  process.exit(2);
}
const chosen = wanted.length > 0 ? available.filter((b) => wanted.includes(b)) : available;

async function run(name: string): Promise<{ name: string; seconds: number; code: number }> {
  const benchArgs = (quick ? SIZES[name]?.quick : SIZES[name]?.full) ?? [];
  process.stdout.write(`\n== bench/${name}.ts ${benchArgs.join(' ')}\n`);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(benchDir, `${name}.ts`), ...benchArgs], {
    stdio: 'inherit',
    env: { ...process.env, ...(quick ? { CONTRAIL_BENCH_QUICK: '1' } : {}) },
  });
  const code: number = await new Promise((resolve) =>
    child.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0))),
  );
  return { name, seconds: (performance.now() - started) / 1000, code };
}

const load = loadavg()[0]?.toFixed(1);
const results = [];
for (const name of chosen) results.push(await run(name));
process.stdout.write(
  `\n== ${quick ? 'quick ' : ''}benchmarks (load average ${load} when they started; figures on a busy machine are slower)\n`,
);
for (const r of results) {
  process.stdout.write(
    `  ${r.name.padEnd(16)} ${r.seconds.toFixed(1).padStart(7)} s  ${r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`}\n`,
  );
}
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
