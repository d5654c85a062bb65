import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { createActivities } from '../../src/activities/index.js';
import type { Pin, StatisticsSummary } from '../../src/activities/types.js';
import { stagingKey } from '../../src/analysis/staging.js';
import { temporalBinary } from '../../src/client/temporal-binary.js';
import { localExperimentSource } from '../../src/experiments/source.js';
import { stagingTableName } from '../../src/sql/names.js';
import { type DeploymentRef, setCurrentVersion } from '../../src/temporal/worker-deployments.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { createContrailWorker, recordWorkerRelease } from '../../src/worker.js';
import type { AnalysisResult } from '../../src/workflows/analysis-result.js';
import type { Progress } from '../../src/workflows/common.js';
import type { DailyAnalysisResult } from '../../src/workflows/daily.js';
import type { RerunResult } from '../../src/workflows/rerun.js';
import type { RerunSkipResult } from '../../src/workflows/rerun-skip.js';
import { runCli } from '../helpers/cli.js';
import { testDeps } from '../helpers/deps.js';
import { runGit } from '../helpers/git.js';
import { DEMO_EXPERIMENTS_FILE, sampleWarehouse } from '../helpers/sample.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/**
 * Version pinning on the real dev server: two builds of contrail (the same code as v1 and v2,
 * v2's statistics renamed by a test-only wrapper so that its output is told apart) poll one
 * task queue of one Worker Deployment; a git config repo with dated commits; an in-memory
 * DuckDB with the demo sample. The tests run in order on shared state, as an operator's week
 * would: v1 released, an experiment anchored, v2 released, daily runs, overrides, a breaking
 * mark, a stopped v1 worker, config changes.
 *
 * The experiments: contrail-demo-sidebar (weekly windows due 2026-03-15, 03-22, 03-29) is
 * anchored while v1 is the only release; contrail-demo-pinned-tabs (starts 2026-03-16; daily
 * windows from 03-23) is anchored after v2's release.
 */
const SIDEBAR = 'contrail-demo-sidebar';
const TABS = 'contrail-demo-pinned-tabs';
const DATASET = 'pins';
const suffix = Math.random().toString(36).slice(2, 8);
const V1 = `v1-${suffix}`;
const V2 = `v2-${suffix}`;
const key = (build: string) => `0.1.0+${build}`;

const DEFINITIONS = (select: string) => `[metrics.uri_total]
select_expression = "${select}"
data_source = "clients_daily"
type = "scalar"

[data_sources.clients_daily]
from_expression = "mozdata.telemetry.clients_daily"
submission_date_column = "submission_date"
client_id_column = "client_id"
`;
const EXPERIMENT_CONFIG = (list: string) => `[metrics]
${list} = ["uri_total"]

[metrics.uri_total.statistics.sum]
`;

describe('version pinning: analyses on their pinned build and configs, on the real dev server', () => {
  let temporal: TestTemporal;
  let warehouse: Warehouse;
  let ref: DeploymentRef;
  let bundle: WorkflowBundleWithSourceMap | { codePath: string };
  const repo = mkdtempSync(join(tmpdir(), 'contrail-pins-repo-'));
  const workers = new Map<string, { worker: Worker; running: Promise<void> }>();
  const commits: string[] = [];
  let runs = 0;

  const git = (args: string[], date?: string) => runGit(repo, args, date);
  const commit = (files: Record<string, string>, date?: string) => {
    for (const [path, text] of Object.entries(files)) writeFileSync(join(repo, path), text);
    git(['add', '-A']);
    git(['commit', '-q', '-m', 'configs'], date);
    commits.push(git(['rev-parse', 'HEAD']));
  };

  const depsOf = (buildId: string): ActivityDeps => {
    const experimentsFile = join(repo, '..', `experiments-${suffix}.json`);
    return testDeps(warehouse, {
      toolVersion: { version: '0.1.0', buildId },
      deployment: ref.deploymentName,
      configRepos: [repo],
      experiments: localExperimentSource(experimentsFile),
    });
  };
  const startWorker = async (buildId: string) => {
    const deps = depsOf(buildId);
    const activities = createActivities(deps);
    // v2's output is told apart from v1's: its statistics are renamed `<statistic>_v2`.
    const marked =
      buildId === V2
        ? {
            ...activities,
            computeStatistics: async (input: Parameters<typeof activities.computeStatistics>[0]) => {
              const summary: StatisticsSummary = await activities.computeStatistics(input);
              // The run's staged table: the analysis publishes it after this step.
              const { run, dataset, slug } = input.target;
              const table = run
                ? stagingTableName(stagingKey(run, dataset, slug), summary.table)
                : summary.table;
              await warehouse.execute(`UPDATE ${dataset}.${table} SET statistic = statistic || '_v2'`);
              return summary;
            },
          }
        : activities;
    const worker = await createContrailWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      deps,
      overrides: { activities: marked, workflowBundle: bundle, shutdownGraceTime: '1s' },
    });
    workers.set(buildId, { worker, running: worker.run() });
    await recordWorkerRelease(temporal.client, deps);
  };
  const stopWorker = async (buildId: string) => {
    const entry = workers.get(buildId);
    if (!entry) return;
    workers.delete(buildId);
    entry.worker.shutdown();
    await entry.running;
  };

  const daily = (date: string) =>
    temporal.client.workflow.start('dailyAnalysis', {
      taskQueue: temporal.taskQueue,
      workflowId: `pins-daily-${++runs}/${date}`,
      args: [{ date, dataset: DATASET, concurrency: 2 }],
    });
  const dailyResult = async (date: string) => (await (await daily(date)).result()) as DailyAnalysisResult;
  const onBuild = (result: DailyAnalysisResult) =>
    Object.fromEntries(result.analyzed.map((a) => [a.slug, [a.status, a.toolVersion]]));
  const labels = async (table: string) =>
    (await warehouse.getTable({ dataset: DATASET, table }))?.labels ?? {};
  const anchorOf = async (slug: string) => (await labels(`enrollments_${slug.replace(/-/g, '_')}`)).anchor;
  /** The per-branch sums of uri_total in a table, in a stable order (the statistic's name says which build made them). */
  const rows = async (table: string) =>
    await warehouse.query<{ statistic: string; branch: string; basis: string; point: number }>(
      `SELECT statistic, branch, analysis_basis AS basis, point FROM ${DATASET}.${table}
       WHERE metric = 'uri_total' AND comparison IS NULL ORDER BY branch, basis, statistic`,
    );
  /** Which build's statistics a table holds: v2's are renamed `<statistic>_v2`. */
  const madeBy = async (table: string) => {
    const names = new Set((await rows(table)).map((r) => r.statistic));
    return names.size === 1 ? ([...names][0] === 'sum' ? V1 : names.has('sum_v2') ? V2 : names) : names;
  };
  const temporalCli = (args: string[]) =>
    execFileSync(
      temporalBinary(),
      [...args, '--address', temporal.address, '--namespace', temporal.namespace],
      { encoding: 'utf8' },
    );

  before(async () => {
    temporal = await testTemporal();
    ref = {
      client: temporal.client,
      namespace: temporal.namespace,
      deploymentName: `contrail-pins-${suffix}`,
    };
    warehouse = await sampleWarehouse(1500);
    mkdirSync(join(repo, 'definitions'));
    mkdirSync(join(repo, 'jetstream'));
    git(['init', '-q', '-b', 'main']);
    commit(
      {
        'definitions/firefox_desktop.toml': DEFINITIONS(
          'COALESCE(SUM(scalar_parent_browser_engagement_total_uri_count_sum), 0)',
        ),
        [`jetstream/${SIDEBAR}.toml`]: EXPERIMENT_CONFIG('weekly'),
        [`jetstream/${TABS}.toml`]: EXPERIMENT_CONFIG('daily'),
      },
      '2026-01-01T00:00:00Z',
    );
    // The two experiments, without the demo's outcome (this config repo has none).
    const demo = JSON.parse(readFileSync(DEMO_EXPERIMENTS_FILE, 'utf8')) as { slug: string }[];
    writeFileSync(
      join(repo, '..', `experiments-${suffix}.json`),
      JSON.stringify(
        demo.filter((e) => e.slug === SIDEBAR || e.slug === TABS).map((e) => ({ ...e, outcomes: [] })),
      ),
    );
    // The test run's bundle when there is one (scripts/run-tests.ts builds it once for every file).
    const built = process.env.CONTRAIL_WORKFLOW_BUNDLE;
    bundle = built
      ? { codePath: built }
      : await bundleWorkflowCode({
          workflowsPath: new URL('../../src/workflows/index.ts', import.meta.url).pathname,
          logger: new DefaultLogger('WARN'),
        });
    await startWorker(V1);
    await startWorker(V2);
    // v1 is released; v2 is deployed beside it but not yet current.
    await setCurrentVersion(ref, V1);
  });
  after(async () => {
    for (const buildId of [...workers.keys()]) await stopWorker(buildId);
    await warehouse.close();
    await temporal.close();
    rmSync(repo, { recursive: true, force: true });
    rmSync(join(repo, '..', `experiments-${suffix}.json`), { force: true });
  });

  test('an experiment anchored before v2 stays on v1 across daily runs; one anchored after runs on v2', async () => {
    assert.deepEqual(onBuild(await dailyResult('2026-03-15')), {
      [SIDEBAR]: ['analyzed', key(V1)],
      [TABS]: ['nothing-due', key(V1)],
    });
    const anchor = await anchorOf(SIDEBAR);
    assert.ok(anchor, 'the enrollments table carries its anchor');
    assert.equal(
      await anchorOf(TABS),
      undefined,
      'nothing was due for pinned-tabs: no enrollments, no anchor',
    );

    await setCurrentVersion(ref, V2);
    assert.deepEqual(onBuild(await dailyResult('2026-03-22')), {
      [SIDEBAR]: ['analyzed', key(V1)],
      [TABS]: ['nothing-due', key(V2)],
    });
    // Nothing new for the sidebar on 03-23 (its enrollments are kept), pinned-tabs' first day window.
    assert.deepEqual(onBuild(await dailyResult('2026-03-23')), {
      [SIDEBAR]: ['analyzed', key(V1)],
      [TABS]: ['analyzed', key(V2)],
    });
    assert.equal(await anchorOf(SIDEBAR), anchor, 'daily runs leave the anchor');

    // The tables say which worker computed them, and the output is that build's.
    for (const table of [
      'statistics_contrail_demo_sidebar_week_1',
      'statistics_contrail_demo_sidebar_week_2',
    ]) {
      assert.equal((await labels(table)).build_id, V1, table);
      assert.deepEqual([...new Set((await rows(table)).map((r) => r.statistic))], ['sum'], table);
    }
    assert.equal((await labels('statistics_contrail_demo_pinned_tabs_day_1')).build_id, V2);
    assert.deepEqual(
      [...new Set((await rows('statistics_contrail_demo_pinned_tabs_day_1')).map((r) => r.statistic))],
      ['sum_v2'],
    );

    // The real Temporal CLI finds a version's runs by contrail's search attribute.
    const listed = temporalCli([
      'workflow',
      'list',
      '--query',
      `ContrailToolVersion="${key(V1)}" AND ContrailExperiment="${SIDEBAR}"`,
      '--output',
      'json',
    ]);
    const ids = (JSON.parse(listed) as { execution: { workflowId: string } }[]).map(
      (e) => e.execution.workflowId,
    );
    assert.deepEqual(
      ids.sort(),
      ['2026-03-15', '2026-03-22', '2026-03-23'].map((d) => `analysis/${DATASET}/${SIDEBAR}/${d}`),
    );
  });

  test('--use-latest analyses on v2 for that run; the anchor stays, so the pin stays v1', async () => {
    const anchor = await anchorOf(SIDEBAR);
    const run = await runCli(
      [
        'run',
        '--date',
        '2026-03-29',
        '--experiment_slug',
        SIDEBAR,
        '--dataset_id',
        DATASET,
        '--use-latest',
        '--json',
      ],
      { env: temporal.env },
    );
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as AnalysisResult;
    assert.deepEqual([result.pin.buildId, result.pin.reason], [V2, 'use-latest']);
    assert.equal((await labels('statistics_contrail_demo_sidebar_week_3')).build_id, V2);
    assert.equal(await madeBy('statistics_contrail_demo_sidebar_week_3'), V2);
    assert.equal(await anchorOf(SIDEBAR), anchor);

    const report = (await temporal.client.workflow.execute('versionsReport', {
      taskQueue: temporal.taskQueue,
      workflowId: `pins-versions-${suffix}`,
      args: [{ dataset: DATASET, date: '2026-03-29' }],
    })) as {
      release: { buildId: string };
      routing: string;
      pinned: string[];
      openWorkflows: number;
      retirable: boolean;
    }[];
    // Nothing runs now: the report itself, open on the current version while it asks, is not
    // work that keeps a version (it was counted, so every report said "1 workflow is open").
    assert.deepEqual(
      report.map((r) => [r.release.buildId, r.routing, r.pinned, r.openWorkflows, r.retirable]),
      [
        [V2, 'current', [TABS], 0, false],
        [V1, 'inactive', [SIDEBAR], 0, false],
      ],
    );
  });

  test('--use-version naming no version of the deployment is refused before the run starts (exit 2), naming the versions', async () => {
    const run = await runCli(
      [
        'run',
        '--date',
        '2026-03-29',
        '--experiment_slug',
        SIDEBAR,
        '--dataset_id',
        DATASET,
        '--use-version',
        'v9',
      ],
      { env: { ...temporal.env, CONTRAIL_DEPLOYMENT: ref.deploymentName } },
    );
    // Before, the run started on the cluster and failed there (exit 1).
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `^contrail: --use-version v9 is not a known contrail version or build id; known: .* \\(the versions of worker deployment ${ref.deploymentName}, CONTRAIL_DEPLOYMENT\\)$`,
        'm',
      ),
    );
    for (const build of [V1, V2]) assert.match(run.stderr, new RegExp(`0\\.1\\.0 \\(build ${build}\\)`));
    assert.doesNotMatch(run.stderr, /following/);
  });

  let uninterrupted: Awaited<ReturnType<typeof rows>> = [];

  test('marking v2 breaking (the operator command) moves both experiments to v2', async () => {
    uninterrupted = await rows('statistics_contrail_demo_sidebar_week_2');
    const mark = (breaking: boolean) =>
      temporalCli([
        'worker',
        'deployment',
        'update-metadata-version',
        '--deployment-name',
        ref.deploymentName,
        '--build-id',
        V2,
        '--metadata',
        `breaking=${breaking}`,
      ]);
    mark(true);
    const result = await dailyResult('2026-03-22');
    assert.deepEqual(onBuild(result), {
      [SIDEBAR]: ['analyzed', key(V2)],
      [TABS]: ['nothing-due', key(V2)],
    });
    assert.equal((await labels('statistics_contrail_demo_sidebar_week_2')).build_id, V2);
    assert.equal(await madeBy('statistics_contrail_demo_sidebar_week_2'), V2);
    mark(false);
  });

  test('with no v1 worker an analysis pinned to v1 waits, and the daily run says for which version; a v1 worker finishes it with the same results; a cancelled daily run cancels its analyses', async () => {
    await stopWorker(V1);
    const waits = await daily('2026-03-22');
    const cancelled = await daily('2026-03-23');
    const waitingOf = async (handle: typeof waits) => {
      let progress: Progress | null = null;
      const deadline = Date.now() + 60_000;
      while (!progress?.waiting.some((w) => w.slug === SIDEBAR)) {
        assert.ok(Date.now() < deadline, `no waiting analysis reported: ${JSON.stringify(progress)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
        progress = await handle.query<Progress>('progress').catch(() => null);
      }
      return progress;
    };
    const progress = await waitingOf(waits);
    assert.deepEqual(
      progress.waiting.map((w) => [w.slug, w.date, w.toolVersion, w.buildId]),
      [[SIDEBAR, '2026-03-22', key(V1), V1]],
    );
    assert.equal((await waits.describe()).status.name, 'RUNNING');

    await waitingOf(cancelled);
    await cancelled.cancel();
    await assert.rejects(cancelled.result(), /cancel/i);
    const orphan = temporal.client.workflow.getHandle(`analysis/${DATASET}/${SIDEBAR}/2026-03-23`);
    const events = (await orphan.fetchHistory()).events ?? [];
    assert.ok(
      events.some((e) => e.workflowExecutionCancelRequestedEventAttributes),
      'the daily run cancelled the analysis it had started',
    );

    await startWorker(V1);
    const result = (await waits.result()) as DailyAnalysisResult;
    assert.deepEqual(onBuild(result), {
      [SIDEBAR]: ['analyzed', key(V1)],
      [TABS]: ['nothing-due', key(V2)],
    });
    assert.deepEqual(
      result.waited.map((w) => [w.slug, w.toolVersion]),
      [[SIDEBAR, key(V1)]],
    );
    assert.equal((await labels('statistics_contrail_demo_sidebar_week_2')).build_id, V1);
    assert.deepEqual(await rows('statistics_contrail_demo_sidebar_week_2'), uninterrupted);
    await assert.rejects(orphan.result(), /cancel/i);
  });

  test('configs as of the anchor: a definitions change reaches the experiment only with rerun; rerun-skip moves the anchor and keeps the tables', async () => {
    const week3 = 'statistics_contrail_demo_sidebar_week_3';
    commit({
      'definitions/firefox_desktop.toml': DEFINITIONS(
        'COALESCE(SUM(scalar_parent_browser_engagement_total_uri_count_sum), 0) * 1000',
      ),
    });
    const old = await dailyResult('2026-03-29');
    const pinnedConfig = old.analyzed.find((a) => a.slug === SIDEBAR);
    assert.deepEqual([pinnedConfig?.toolVersion, pinnedConfig?.configCommit], [key(V1), commits[0]]);
    const before = await rows(week3);
    assert.ok(
      before.length > 0 && before.every((r) => r.statistic === 'sum'),
      JSON.stringify({ old, before }),
    );

    const rerun = (await temporal.client.workflow.execute('rerun', {
      taskQueue: temporal.taskQueue,
      workflowId: `pins-rerun-${suffix}`,
      args: [{ slug: SIDEBAR, dataset: DATASET, concurrency: 3 }],
    })) as RerunResult;
    assert.deepEqual(rerun.failed, []);
    const pin: Pin = rerun.pin;
    assert.deepEqual([pin.buildId, pin.configCommit, pin.anchor], [V2, commits[1], rerun.anchor]);
    const after = await rows(week3);
    assert.deepEqual(
      after.map((r) => [r.branch, r.basis, r.statistic]),
      before.map((r) => [r.branch, r.basis, 'sum_v2']),
    );
    after.forEach((r, i) => {
      const want = (before[i]?.point ?? Number.NaN) * 1000;
      assert.ok(Math.abs(r.point - want) <= 1e-9 * want, `${r.branch} ${r.basis}: ${r.point} vs ${want}`);
    });
    assert.equal((await labels(week3)).config_commit, commits[1]);

    const anchorBefore = await anchorOf(SIDEBAR);
    const skipped = (await temporal.client.workflow.execute('rerunSkip', {
      taskQueue: temporal.taskQueue,
      workflowId: `pins-rerun-skip-${suffix}`,
      args: [{ slug: SIDEBAR, dataset: DATASET }],
    })) as RerunSkipResult;
    assert.ok(skipped.tables.includes(week3));
    assert.equal(skipped.tables.at(-1), 'enrollments_contrail_demo_sidebar', 'the anchor moves last');
    assert.notEqual(await anchorOf(SIDEBAR), anchorBefore);
    assert.equal(await anchorOf(SIDEBAR), String(Date.parse(skipped.anchor)));
    assert.deepEqual(await rows(week3), after, 'nothing recomputed');
  });

  test("a change to the experiment's own config file reruns it in the next daily run", async () => {
    const anchor = await anchorOf(SIDEBAR);
    // Commit times have whole seconds: a commit in the anchor's own second counts as before it.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    commit({ [`jetstream/${SIDEBAR}.toml`]: `# reviewed\n${EXPERIMENT_CONFIG('weekly')}` });
    const result = await dailyResult('2026-03-29');
    assert.deepEqual(
      result.reran.map((r) => r.slug),
      [SIDEBAR],
    );
    assert.deepEqual(onBuild(result)[SIDEBAR], ['reran', key(V2)]);
    assert.notEqual(await anchorOf(SIDEBAR), anchor, 'the rerun moved the anchor');
    assert.equal((await labels('statistics_contrail_demo_sidebar_week_3')).config_commit, commits[2]);
  });
});
