/**
 * SQL benchmark: contrail's metrics and statistic-input queries against a hand-written floor, at
 * growing sizes, with time and peak memory for each.
 *
 * Each size (100,000, 300,000 and 1,000,000 clients × 28 days; 5,000,000 with --large) is
 * generated into DuckDB files by one child process (`generateSample`, as `contrail sample` writes
 * it) and analysed by another, on the embedded warehouse's default settings (memory limit,
 * spilling), so each figure of peak memory is one process's own. The analysis runs the bench's
 * 20 metrics over 3 data sources (lib/sql-fixture.ts), periods day/week/overall, both analysis bases:
 * per data source and window, contrail's queries (the scan, jetstream's per-basis tables, the
 * statistic inputs) and the floor (lib/sql-floor.ts: one hand-written query computing the same
 * per-client aggregates), whose values are checked equal to contrail's. It prints, per data
 * source and window and in total, contrail's time over the floor, in wall-clock seconds and in
 * CPU seconds (the process's own, which other processes on a shared machine disturb less), a
 * bare scan of the same columns, and the peak memory: the process's resident set (maxRSS) and
 * DuckDB's own (its buffer pool, sampled), and what DuckDB spilled to disk.
 *
 *   node --import tsx bench/sql.ts [--large] [--clients 100000,1000000 | CLIENTS] [--runs N] [--data DIR]
 *
 * A bare number is one size (`npm run bench -- --quick` runs `bench/sql.ts 20000`).
 * --runs N runs contrail's queries and the floor N times each, alternating which goes first,
 * and keeps each query's fastest run. --data DIR keeps the generated data in DIR/<clients>/ and
 * reuses it on the next run (the default is a temporary directory, removed afterwards).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { generateSample } from '../src/sample/generate.js';
import { planAnalysis, type WindowPlan } from '../src/sql/plan/analysis.js';
import type { PlannedQuery } from '../src/sql/plan/types.js';
import { duckdbDialect } from '../src/sql/render/duckdb.js';
import { countTableScans, explainJsonSql } from '../src/sql/render/duckdb-explain.js';
import { runPlannedQuery } from '../src/sql/run.js';
import { dataDateRange } from '../src/sql/windows.js';
import { type DuckDbWarehouse, openDuckDbWarehouse } from '../src/warehouse/duckdb.js';
import { BENCH_METRICS, benchSampleOptions, benchSpec, DAYS, SLUG } from './lib/sql-fixture.js';
import { FLOOR_DATA_SOURCES, type FloorDataSource, floorSql } from './lib/sql-floor.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    large: { type: 'boolean', default: false },
    clients: { type: 'string' },
    runs: { type: 'string', default: '1' },
    data: { type: 'string' },
    child: { type: 'string' },
    dir: { type: 'string' },
  },
});

const GB = 2 ** 30;
const seconds = (s: number) => `${s.toFixed(2)} s`;
const gb = (bytes: number) => `${(bytes / GB).toFixed(2)} GB`;
const RESULT = 'RESULT ';

/** Wall-clock and CPU seconds (this process: DuckDB's threads included) of one job. */
interface Timing {
  wall: number;
  cpu: number;
}

async function timed<T>(job: () => Promise<T>): Promise<[T, Timing]> {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const result = await job();
  const cpu = process.cpuUsage(cpu0);
  return [result, { wall: (performance.now() - wall0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 }];
}

const add = (a: Timing, b: Timing): Timing => ({ wall: a.wall + b.wall, cpu: a.cpu + b.cpu });
const ZERO: Timing = { wall: 0, cpu: 0 };
const fastest = (a: Timing | undefined, b: Timing): Timing =>
  a === undefined ? b : { wall: Math.min(a.wall, b.wall), cpu: Math.min(a.cpu, b.cpu) };

interface GenerateResult {
  clients: number;
  seconds: number;
  sourceRows: number;
  peakRssBytes: number;
}

interface QueryFigures {
  period: string;
  dataSource: string;
  contrail: Timing;
  scan: Timing;
  basisTables: Timing;
  inputs: Timing;
  floor: Timing;
  bare: Timing;
  /** DuckDB's peak memory during contrail's queries and during the floor's (bytes; null if unknown). */
  contrailPeakBytes: number | null;
  floorPeakBytes: number | null;
}

interface AnalyseResult {
  clients: number;
  memoryLimit: string;
  enrollments: Timing;
  queries: QueryFigures[];
  bins: number;
  peakRssBytes: number;
  peakDuckDbBytes: number | null;
  peakSpilledBytes: number | null;
}

// ---- child: generate ---------------------------------------------------------------------------

async function generate(clients: number, dir: string): Promise<GenerateResult> {
  const warehouse = await openDuckDbWarehouse({
    path: join(dir, 'warehouse.duckdb'),
    attach: { mozdata: join(dir, 'mozdata.duckdb') },
  });
  const summary = await generateSample(warehouse, benchSampleOptions(clients));
  await warehouse.close();
  for (const t of summary.tables) console.log(`  ${t.table}: ${t.rows.toLocaleString()} rows`);
  return {
    clients,
    seconds: summary.seconds,
    sourceRows: summary.tables
      .filter((t) => /clients_daily|baseline|events_stream/.test(t.table))
      .reduce((s, t) => s + t.rows, 0),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

// ---- child: analyse ----------------------------------------------------------------------------

/**
 * Peaks of DuckDB's memory and spill, sampled every 100 ms on a connection of its own while
 * jobs run: overall, and since the last `lap()`.
 */
function sampleDuckDb(warehouse: DuckDbWarehouse) {
  const probe = (warehouse as Partial<DuckDbWarehouse>).memoryUsage?.bind(warehouse);
  const peak = { memory: 0, spilled: 0 };
  let lap = { memory: 0, spilled: 0 };
  let pending: Promise<void> = Promise.resolve();
  const sample = () => {
    if (!probe) return;
    pending = probe().then(
      (u) => {
        for (const p of [peak, lap]) {
          p.memory = Math.max(p.memory, u.memoryBytes);
          p.spilled = Math.max(p.spilled, u.temporaryBytes);
        }
      },
      () => undefined,
    );
  };
  const timer = setInterval(() => {
    pending.then(sample);
  }, 100);
  return {
    available: probe !== undefined,
    /** The peak since the previous lap (null when this warehouse cannot say). */
    lap: async (): Promise<number | null> => {
      await pending;
      sample();
      await pending;
      const memory = lap.memory;
      lap = { memory: 0, spilled: 0 };
      return probe ? memory : null;
    },
    stop: async () => {
      clearInterval(timer);
      await pending;
      return probe ? peak : null;
    },
  };
}

/** Rows of a floor table whose values differ from contrail's per-basis tables (doubles to 1e-9). */
async function floorMismatches(
  warehouse: DuckDbWarehouse,
  floorTable: string,
  basisTables: PlannedQuery[],
  metrics: string[],
): Promise<number> {
  const contrail = basisTables
    .map(
      (q) =>
        `SELECT '${q.analysisBasis}' AS analysis_basis, analysis_id, branch, ${metrics.join(', ')} FROM contrail.${q.destination.table}`,
    )
    .join(' UNION ALL ');
  const same = (m: string) =>
    `(f.${m} IS NOT DISTINCT FROM c.${m} OR abs(CAST(f.${m} AS DOUBLE) - CAST(c.${m} AS DOUBLE)) <= 1e-9 * greatest(abs(CAST(c.${m} AS DOUBLE)), 1))`;
  const [row] = await warehouse.query<{ n: number }>(
    `SELECT count(*) AS n FROM contrail.${floorTable} f FULL JOIN (${contrail}) c USING (analysis_basis, analysis_id, branch)
     WHERE f.analysis_id IS NULL OR c.analysis_id IS NULL OR NOT (${metrics.map(same).join(' AND ')})`,
  );
  return Number(row?.n ?? -1);
}

/** Columns each data source's metrics read, for the bare scan (one trivial aggregate per column). */
const BARE: Record<FloorDataSource, { from: string; date: string; columns: string[] }> = {
  clients_daily: {
    from: 'mozdata.telemetry.clients_daily',
    date: 'submission_date',
    columns: [
      'client_id',
      'submission_date',
      'active_hours_sum',
      'scalar_parent_browser_engagement_total_uri_count_sum',
      'scalar_parent_browser_engagement_total_uri_count_normal_and_private_mode_sum',
      'search_count_all',
      'ad_clicks_count_all',
      'is_default_browser',
      'experiments',
    ],
  },
  baseline: {
    from: 'mozdata.firefox_desktop.baseline',
    date: 'CAST(submission_timestamp AS DATE)',
    columns: [
      'metrics.uuid.legacy_telemetry_client_id',
      'metrics.timespan.glean_baseline_duration.value',
      'ping_info',
    ],
  },
  nimbus_events: {
    from: 'mozdata.firefox_desktop.events_stream',
    date: 'CAST(submission_timestamp AS DATE)',
    columns: ['legacy_telemetry_client_id', 'event_name', 'event_extra', 'event_category'],
  },
};

async function analyse(clients: number, dir: string, runs: number): Promise<AnalyseResult> {
  // A fresh warehouse file each time (the telemetry lives in mozdata.duckdb beside it).
  for (const suffix of ['', '.wal']) rmSync(join(dir, `warehouse.duckdb${suffix}`), { force: true });
  const warehouse = await openDuckDbWarehouse({
    path: join(dir, 'warehouse.duckdb'),
    attach: { mozdata: join(dir, 'mozdata.duckdb') },
  });
  const duckdb = sampleDuckDb(warehouse);
  const [setting] = await warehouse.query<{ limit: string }>(
    "SELECT current_setting('memory_limit') AS limit",
  );
  await warehouse.createDataset('contrail');
  const dialect = duckdbDialect();
  const dayWeek = planAnalysis(benchSpec, '2024-01-28', {
    dataset: 'contrail',
    dialect,
    periods: ['day', 'week'],
  });
  const overall = planAnalysis(benchSpec, '2024-01-29', {
    dataset: 'contrail',
    dialect,
    periods: ['overall'],
  });
  const windows: WindowPlan[] = [...dayWeek.windows, ...overall.windows];
  const name = (w: WindowPlan) => `${w.window.period}_${w.window.windowIndex}`;
  const [, enrollments] = await timed(() => runPlannedQuery(warehouse, dayWeek.enrollments!));
  console.log(`  enrollments: ${seconds(enrollments.wall)}; windows ${windows.map(name).join(', ')}`);

  const enrollmentsTable = `contrail.enrollments_${SLUG.replace(/-/g, '_')}`;
  const queries: QueryFigures[] = [];
  for (const w of windows) {
    const dates = dataDateRange(benchSpec, w.window);
    for (const ds of FLOOR_DATA_SOURCES) {
      const ofSource = (list: PlannedQuery[]) => list.filter((q) => q.dataSource === ds);
      const scans = ofSource(w.metricsScans);
      const basisTables = ofSource(w.metrics);
      const inputs = ofSource(w.statisticInputs);
      const floorTable = `floor_${ds}_${name(w)}`;
      const floor = floorSql(ds, { ...w.window, ...dates }, { enrollmentsTable, slug: SLUG });
      const bareSource = BARE[ds];
      const bare = `SELECT ${bareSource.columns.map((c, i) => `count(${c}) AS c${i}`).join(', ')}
        FROM ${bareSource.from} WHERE ${bareSource.date} BETWEEN DATE '${dates.first}' AND DATE '${dates.last}'`;
      const figures: Partial<Record<'scan' | 'basisTables' | 'inputs' | 'floor' | 'bare', Timing>> = {};
      const runAll = async (list: PlannedQuery[]) => {
        let total = ZERO;
        for (const q of list) total = add(total, (await timed(() => runPlannedQuery(warehouse, q)))[1]);
        return total;
      };
      // The bare scan first: it brings the data source's columns into memory for both others.
      figures.bare = (await timed(() => warehouse.query(bare)))[1];
      let contrailPeak: number | null = null;
      let floorPeak: number | null = null;
      const higher = (a: number | null, b: number | null) =>
        a === null ? b : b === null ? a : Math.max(a, b);
      for (let run = 0; run < runs; run++) {
        const runContrail = async () => {
          await duckdb.lap();
          figures.scan = fastest(figures.scan, await runAll(scans));
          figures.basisTables = fastest(figures.basisTables, await runAll(basisTables));
          figures.inputs = fastest(figures.inputs, await runAll(inputs));
          contrailPeak = higher(contrailPeak, await duckdb.lap());
        };
        const runFloor = async () => {
          await duckdb.lap();
          const floorQuery = `CREATE OR REPLACE TABLE contrail.${floorTable} AS ${floor}`;
          figures.floor = fastest(figures.floor, (await timed(() => warehouse.execute(floorQuery)))[1]);
          floorPeak = higher(floorPeak, await duckdb.lap());
        };
        if (run % 2 === 0) {
          await runContrail();
          await runFloor();
        } else {
          await runFloor();
          await runContrail();
        }
      }
      const metrics = BENCH_METRICS.filter((m) => m.dataSource === ds).map((m) => m.name);
      const mismatches = await floorMismatches(warehouse, floorTable, basisTables, metrics);
      if (mismatches !== 0)
        throw new Error(`${floorTable}: ${mismatches} client rows differ from contrail's`);
      const q: QueryFigures = {
        period: name(w),
        dataSource: ds,
        scan: figures.scan!,
        basisTables: figures.basisTables!,
        inputs: figures.inputs!,
        contrail: add(add(figures.scan!, figures.basisTables!), figures.inputs!),
        floor: figures.floor!,
        bare: figures.bare,
        contrailPeakBytes: contrailPeak,
        floorPeakBytes: floorPeak,
      };
      queries.push(q);
      console.log(
        `  ${`${q.period} ${ds}`.padEnd(24)} contrail ${seconds(q.contrail.wall)} (scan ${seconds(q.scan.wall)}, per-basis ${seconds(q.basisTables.wall)}, inputs ${seconds(q.inputs.wall)})` +
          `  floor ${seconds(q.floor.wall)}  ×${(q.contrail.wall / q.floor.wall).toFixed(2)} (CPU ×${(q.contrail.cpu / q.floor.cpu).toFixed(2)})  bare ${seconds(q.bare.wall)}` +
          (q.contrailPeakBytes === null
            ? ''
            : `  DuckDB peak ${gb(q.contrailPeakBytes)} (floor ${gb(q.floorPeakBytes ?? 0)})`),
      );
    }
  }

  const inputTables = windows.flatMap((w) => w.statisticInputs);
  const [binRow] = await warehouse.query<{ bins: number }>(
    `SELECT sum(bins) AS bins FROM (${inputTables.map((q) => `SELECT count(*) AS bins FROM contrail.${q.destination.table}`).join(' UNION ALL ')})`,
  );
  // The design reads each data source once per window: only the scans name data sources.
  for (const w of windows) {
    const perTable = new Map<string, number>();
    for (const q of [...w.metricsScans, ...w.metrics, ...w.statisticInputs]) {
      for (const [table, n] of countTableScans(await warehouse.query(explainJsonSql(q.sql)))) {
        if (table.startsWith('mozdata.')) perTable.set(table, (perTable.get(table) ?? 0) + n);
      }
    }
    console.log(
      `  EXPLAIN ${name(w)} (all ${w.metricsScans.length + w.metrics.length + w.statisticInputs.length} queries): ${[...perTable].map(([t, n]) => `${t} ×${n}`).join(', ')}`,
    );
  }
  const peaks = await duckdb.stop();
  await warehouse.close();
  return {
    clients,
    memoryLimit: setting?.limit ?? '?',
    enrollments,
    queries,
    bins: Number(binRow?.bins ?? 0),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    peakDuckDbBytes: peaks?.memory ?? null,
    peakSpilledBytes: peaks?.spilled ?? null,
  };
}

// ---- parent ------------------------------------------------------------------------------------

function runChild<T>(mode: string, clients: number, dir: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/sql.ts',
        '--child',
        mode,
        '--clients',
        String(clients),
        '--dir',
        dir,
        '--runs',
        args.runs!,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let result: T | null = null;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith(RESULT)) result = JSON.parse(line.slice(RESULT.length)) as T;
      else console.log(line);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0 && result !== null) resolve(result);
      else reject(new Error(`bench/sql.ts --child ${mode} --clients ${clients}: exit ${code ?? signal}`));
    });
  });
}

async function parent(): Promise<void> {
  const list = args.clients ?? (positionals.length > 0 ? positionals.join(',') : undefined);
  const sizes = list
    ? list.split(',').map(Number)
    : [100_000, 300_000, 1_000_000, ...(args.large ? [5_000_000] : [])];
  const bad = sizes.find((n) => !Number.isSafeInteger(n) || n < 100);
  if (bad !== undefined || positionals.length > 1) {
    console.error(
      `bench/sql.ts: clients ${JSON.stringify(list)}: expected one whole number of clients (100 or more) or --clients with a comma-separated list`,
    );
    process.exit(2);
  }
  console.log(
    `SQL bench: ${sizes.map((n) => n.toLocaleString()).join(' / ')} clients × ${DAYS} days; ${BENCH_METRICS.length} metrics over 3 data sources; ` +
      `machine memory ${gb(totalmem())}; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; runs ${args.runs}`,
  );
  const rows: { generated: GenerateResult | null; analysed: AnalyseResult }[] = [];
  for (const clients of sizes) {
    const keep = args.data !== undefined;
    const dir = keep ? join(args.data!, String(clients)) : mkdtempSync(join(tmpdir(), 'contrail-bench-sql-'));
    mkdirSync(dir, { recursive: true });
    try {
      let generated: GenerateResult | null = null;
      if (!existsSync(join(dir, 'mozdata.duckdb'))) {
        console.log(`\n== generating ${clients.toLocaleString()} clients × ${DAYS} days into ${dir}`);
        generated = await runChild<GenerateResult>('generate', clients, dir);
        console.log(`  ${seconds(generated.seconds)}, peak RSS ${gb(generated.peakRssBytes)}`);
      }
      console.log(
        `\n== analysing ${clients.toLocaleString()} clients (load average ${loadavg()[0]!.toFixed(1)})`,
      );
      const analysed = await runChild<AnalyseResult>('analyse', clients, dir);
      rows.push({ generated, analysed });
    } finally {
      if (!keep) rmSync(dir, { recursive: true, force: true });
    }
  }

  console.log(
    '\n== figures (wall-clock seconds; CPU seconds in brackets; peak memory of the analysing process)',
  );
  console.log(
    `${'clients'.padStart(10)} ${'generate'.padStart(9)} ${'contrail'.padStart(17)} ${'floor'.padStart(17)} ${'ratio'.padStart(13)} ${'bare'.padStart(7)} ${'bins'.padStart(9)} ${'peak RSS'.padStart(9)} ${'DuckDB'.padStart(8)} ${'spilled'.padStart(8)}  limit`,
  );
  for (const { generated, analysed: a } of rows) {
    const total = (pick: (q: QueryFigures) => Timing) => a.queries.map(pick).reduce(add, ZERO);
    const contrail = total((q) => q.contrail);
    const floor = total((q) => q.floor);
    const bare = total((q) => q.bare);
    const pair = (t: Timing) => `${t.wall.toFixed(1)} (${t.cpu.toFixed(1)})`;
    console.log(
      `${a.clients.toLocaleString().padStart(10)} ${(generated ? seconds(generated.seconds) : '-').padStart(9)} ${pair(contrail).padStart(17)} ${pair(floor).padStart(17)} ` +
        `${`${(contrail.wall / floor.wall).toFixed(2)} (${(contrail.cpu / floor.cpu).toFixed(2)})`.padStart(13)} ${bare.wall.toFixed(1).padStart(7)} ` +
        `${a.bins.toLocaleString().padStart(9)} ${gb(a.peakRssBytes).padStart(9)} ${(a.peakDuckDbBytes === null ? '-' : gb(a.peakDuckDbBytes)).padStart(8)} ` +
        `${(a.peakSpilledBytes === null ? '-' : gb(a.peakSpilledBytes)).padStart(8)}  ${a.memoryLimit}`,
    );
  }
}

if (args.child) {
  const clients = Number(args.clients);
  const dir = args.dir!;
  const result =
    args.child === 'generate' ? await generate(clients, dir) : await analyse(clients, dir, Number(args.runs));
  console.log(`${RESULT}${JSON.stringify(result)}`);
} else {
  await parent();
}
