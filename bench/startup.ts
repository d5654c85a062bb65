/**
 * What `bin/contrail` costs before and around its work: the wall and CPU time of commands that
 * only parse (the help, a usage error, a command's help), of validate and plan on the demo
 * config, and of an embedded run (its own Temporal dev server and worker) that fails at once on
 * an unknown experiment; next to node alone, the floor of any command, and to the same command
 * run from the sources through tsx's loader (what bin/contrail ran before bin/launch.mjs bundled
 * them). Each figure is the fastest of several runs, with that run's CPU time (user + system) and
 * the source modules the command loads. The parser loads every command's definition, and a
 * command its own implementation only.
 *
 * The Temporal CLI is taken as installed (`npm run setup`). The embedded run gets an untimed run
 * first, which bundles the workflows if this checkout has no bundle of its sources yet.
 * Run: node --import tsx bench/startup.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEntry, runCliListingModules } from '../test/helpers/cli.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'bin', 'contrail');
const quick = process.env.CONTRAIL_BENCH_QUICK === '1';
const RUNS = quick ? 2 : 5;
const home = mkdtempSync(join(tmpdir(), 'contrail-bench-startup-'));
// Only what a person's shell would have: no Temporal address, no contrail settings.
const base = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => !/^(TEMPORAL_ADDRESS|TEMPORAL_NAMESPACE|CONTRAIL_)/.test(key),
  ),
);
const env = { ...base, CONTRAIL_HOME: home };
const DEMO_CONFIG = join('src', 'sample', 'metric-hub', 'jetstream', 'contrail-demo-sidebar.toml');

interface Case {
  label: string;
  args: string[];
  /** The exit code the command ends with: a usage error and a failed analysis are expected. */
  code: number;
}

const CASES: Case[] = [
  { label: 'contrail --help', args: ['--help'], code: 0 },
  { label: 'contrail previwe (usage error)', args: ['previwe'], code: 2 },
  { label: 'contrail stats --help', args: ['stats', '--help'], code: 0 },
  { label: 'contrail validate <demo config>', args: ['validate', DEMO_CONFIG], code: 0 },
  {
    label: 'contrail plan <demo> (DuckDB)',
    args: ['plan', '--experiment_slug', 'contrail-demo-sidebar', '--date', '2026-03-15'],
    code: 0,
  },
  {
    label: 'contrail run <unknown> (embedded)',
    args: ['run', '--experiment_slug', 'nope', '--date', '2026-03-15'],
    code: 1,
  },
];

interface Timing {
  wallMs: number;
  cpuMs: number;
  code: number | null;
  output: string;
}

/**
 * Runs a program under `sh`, whose `times` reports the CPU time of the children it waited for:
 * node reports its own CPU time only, not a child's.
 */
async function timed(command: string, args: string[]): Promise<Timing> {
  const script = '"$0" "$@" >/dev/null 2>"$CONTRAIL_BENCH_STDERR"; status=$?; times; exit $status';
  const stderrFile = join(home, 'stderr.txt');
  const t0 = performance.now();
  const child = spawn('sh', ['-c', script, command, ...args], {
    cwd: root,
    env: { ...env, CONTRAIL_BENCH_STDERR: stderrFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code: number | null = await new Promise((resolve) => child.once('close', resolve));
  const wallMs = performance.now() - t0;
  // `times` prints the shell's user and system time, then its children's: `0m1.080000s 0m0.210000s`.
  const children = out.trim().split('\n').at(-1) ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (seconds.length !== 2)
    throw new Error(`cannot read the CPU time from sh's times: ${JSON.stringify(out)}`);
  return {
    wallMs,
    cpuMs: ((seconds[0] as number) + (seconds[1] as number)) * 1000,
    code,
    output: readFileSync(stderrFile, 'utf8'),
  };
}

/** The fastest of `RUNS` runs (by wall time), after checking each ended as expected. */
async function fastest(command: string, args: string[], code: number, what: string): Promise<Timing> {
  let best: Timing | null = null;
  for (let i = 0; i < RUNS; i++) {
    const t = await timed(command, args);
    if (t.code !== code) throw new Error(`${what} exited ${t.code}, expected ${code}:\n${t.output}`);
    if (best === null || t.wallMs < best.wallMs) best = t;
  }
  return best as Timing;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const row = (label: string, t: Timing, modules: string) =>
  `  ${label.padEnd(36)} ${s(t.wallMs).padStart(7)} wall  ${s(t.cpuMs).padStart(7)} CPU  ${modules}\n`;

process.stdout.write(
  `bench/startup: fastest of ${RUNS} runs each; load average ${load()} at start (figures are noisy when others run)${quick ? ', quick' : ''}\n`,
);
try {
  const floor = await fastest(process.execPath, ['-e', '0'], 0, 'node');
  process.stdout.write(row('node alone', floor, ''));
  // The embedded run bundles the workflows on its first run after an edit; the others run warm.
  const warm = CASES.at(-1) as Case;
  await timed(bin, warm.args);
  for (const c of CASES) {
    const t = await fastest(bin, c.args, c.code, c.label);
    const viaTsx = await fastest(process.execPath, ['--import', 'tsx', cliEntry, ...c.args], c.code, c.label);
    const listed = await runCliListingModules(c.args, { env });
    process.stdout.write(
      row(
        c.label,
        t,
        `${listed.modules.length} modules, +${s(t.cpuMs - floor.cpuMs)} CPU over node; through tsx ${s(viaTsx.cpuMs)} CPU`,
      ),
    );
  }
} finally {
  rmSync(home, { recursive: true, force: true });
  process.stdout.write(`load average ${load()} at the end\n`);
}
