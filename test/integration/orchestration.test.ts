import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import { QueryNotRegisteredError, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { followWorkflow, startWorkflow } from '../../src/client/follow.js';
import { inputDifferences } from '../../src/client/outcomes.js';
import { temporalBinary } from '../../src/client/temporal-binary.js';
import { localExperimentSource } from '../../src/experiments/source.js';
import { DEMO_SLUG } from '../../src/sample/population.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { createContrailWorker } from '../../src/worker.js';
import type { AnalysisResult } from '../../src/workflows/analysis-result.js';
import type { BackfillResult } from '../../src/workflows/backfill.js';
import type { Progress } from '../../src/workflows/common.js';
import type { DailyAnalysisResult } from '../../src/workflows/daily.js';
import { workflowIds } from '../../src/workflows/ids.js';
import type { BackfillInput, PreviewInput } from '../../src/workflows/inputs.js';
import type { PreviewResult } from '../../src/workflows/preview.js';
import { repoRoot, runMain } from '../helpers/cli.js';
import { testDeps } from '../helpers/deps.js';
import {
  configRepoWith,
  DEMO_CONFIG_REPO,
  DEMO_EXPERIMENTS_FILE,
  sampleWarehouse,
} from '../helpers/sample.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

// Week 1 of the demo experiment completes on 2026-03-15 (enrollment 2026-03-02 … 03-08).
const WEEK_1 = '2026-03-15';
/** The dataset of the followed backfill, whose metrics fail twice before they are computed. */
const FOLLOWED = 'follow_runs';
/** What the warehouse says the first two times the followed analysis computes its metrics. */
const FULL = 'No space left on device (writing the embedded warehouse)';
/** The dataset of the backfill `contrail cancel` stops: its metrics wait until they are cancelled. */
const CANCELLED = 'cancel_test';
/** The dataset where daily runs and backfills reach the same experiment-days at once. */
const OVERLAP = 'overlap_test';

describe('orchestration on the real dev server, worker and DuckDB', () => {
  let temporal: TestTemporal;
  let warehouse: Warehouse;
  let worker: Worker;
  let running: Promise<void>;
  /** Activity calls per (activity, slug): proves what ran and what was not retried. */
  const calls = new Map<string, number>();
  let followedFailuresLeft = 2;
  /** Analyses of the CANCELLED dataset waiting in their metrics for the cancellation. */
  let heldForCancel = 0;
  /**
   * Runs (by the `run` their tables belong to) whose metrics wait until the test releases them,
   * as a long warehouse job does: `reached` once one of them is in its metrics.
   */
  const holds = new Map<
    string,
    { reached: boolean; released: Promise<void>; release: () => void; honoursCancel: boolean }
  >();
  /** `honoursCancel: false`: the job goes on until released even once cancelled, as one slow to stop does. */
  const hold = (run: string, { honoursCancel = true } = {}) => {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    holds.set(run, { reached: false, released, release, honoursCancel });
    return release;
  };
  const until = async (what: string, done: () => Promise<boolean> | boolean, withinMs = 60_000) => {
    for (const end = Date.now() + withinMs; !(await done()); ) {
      assert.ok(Date.now() < end, `timed out waiting: ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  // Five eligible experiments on 2026-03-20: the three launched demo ones (not the rollout,
  // not the draft) and two more with the same shape; one of them gets a broken config.
  const experimentsFile = join(mkdtempSync(join(tmpdir(), 'contrail-experiments-')), 'experiments.json');
  const demo = JSON.parse(readFileSync(DEMO_EXPERIMENTS_FILE, 'utf8')) as { slug: string }[];
  const sidebar = demo.find((e) => e.slug === DEMO_SLUG)!;
  writeFileSync(
    experimentsFile,
    JSON.stringify([
      ...demo,
      { ...sidebar, slug: 'contrail-test-copy' },
      { ...sidebar, slug: 'contrail-test-broken' },
    ]),
  );
  const exportDir = mkdtempSync(join(tmpdir(), 'contrail-orchestration-exports-'));
  // Light bootstraps: the checks are on counts, linear-model means, runs and errors.
  const configRepo = configRepoWith(
    {
      'jetstream/contrail-test-broken.toml':
        '[metrics]\nweekly = ["active_hours"]\n\n[metrics.active_hours.statistics.bootstrap_mean]\nnum_sampels = 100\n',
    },
    { light: true },
  );

  before(async () => {
    temporal = await testTemporal();
    warehouse = await sampleWarehouse(3000);
    const deps = testDeps(warehouse, {
      configRepos: [configRepo],
      experiments: localExperimentSource(experimentsFile),
      exportDir,
    });
    const activities = createActivities(deps);
    const counted = Object.fromEntries(
      Object.entries(activities).map(([name, fn]) => [
        name,
        async (input: { slug?: string; target?: { slug: string; dataset: string } }) => {
          const key = `${name}:${input?.target?.slug ?? input?.slug ?? ''}`;
          calls.set(key, (calls.get(key) ?? 0) + 1);
          if (name === 'computeMetrics' && input?.target?.dataset === FOLLOWED && followedFailuresLeft > 0) {
            followedFailuresLeft--;
            throw new Error(FULL);
          }
          const held =
            name === 'computeMetrics'
              ? holds.get((input?.target as { run?: string })?.run ?? '')
              : name === 'publish'
                ? holds.get(`publish ${input?.target?.dataset}`)
                : undefined;
          if (held) {
            held.reached = true;
            const context = Context.current();
            const beat = setInterval(() => context.heartbeat(), 200);
            try {
              await Promise.race([held.released, ...(held.honoursCancel ? [context.cancelled] : [])]);
            } finally {
              clearInterval(beat);
            }
          }
          if (name === 'computeMetrics' && input?.target?.dataset === CANCELLED) {
            // Held until cancelled, as a long warehouse job is: the cancellation reaches an
            // activity with the answer to its next heartbeat.
            heldForCancel++;
            const context = Context.current();
            const beat = setInterval(() => context.heartbeat(), 200);
            try {
              await context.cancelled;
            } finally {
              clearInterval(beat);
            }
          }
          return await (fn as (i: unknown) => Promise<unknown>)(input);
        },
      ]),
    );
    worker = await createContrailWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      deps,
      overrides: { activities: counted },
    });
    running = worker.run();
  });
  after(async () => {
    for (const held of holds.values()) held.release();
    worker.shutdown();
    await running;
    await warehouse.close();
    await temporal.close();
  });

  test('a preview of the demo experiment runs end to end and its statistics are right', async () => {
    const result = (await temporal.client.workflow.execute('preview', {
      taskQueue: temporal.taskQueue,
      workflowId: `preview-test/${temporal.taskQueue}`,
      args: [
        {
          slug: DEMO_SLUG,
          startDate: '2026-03-14',
          endDate: WEEK_1,
          // Weekly windows only: the checks below are on week 1, and day windows cost as much again.
          periods: ['week'],
          sampleSize: 100,
          dataset: 'preview_test',
        },
      ],
    })) as PreviewResult;
    assert.deepEqual(
      result.days.map((d) => d.date),
      ['2026-03-14', '2026-03-15'],
    );
    const week = result.days[1]!.statistics.find((s) => s.period === 'week');
    assert.equal(week?.table, 'statistics_contrail_demo_sidebar_week_1');

    // Enrolled clients per branch, independently from the generator's ground truth.
    const truth = await warehouse.query<{ branch: string; n: number }>(
      `SELECT branch, count(*) AS n FROM mozdata.contrail_sample.clients WHERE experiment = '${DEMO_SLUG}' AND enrollment_date IS NOT NULL GROUP BY branch`,
    );
    const counts = await warehouse.query<{ branch: string; point: number }>(
      `SELECT branch, point FROM preview_test.statistics_contrail_demo_sidebar_week_1
       WHERE metric = 'identity' AND statistic = 'count' AND segment = 'all' AND analysis_basis = 'enrollments' AND comparison IS NULL`,
    );
    assert.deepEqual(
      Object.fromEntries(counts.map((r) => [r.branch, r.point])),
      Object.fromEntries(truth.map((r) => [r.branch, r.n])),
    );

    // days_of_use per client in week 1 (days 0–6 after enrollment), recomputed from clients_daily;
    // linear_model_mean's per-branch point is the branch mean (drop_highest = 0 in the demo defaults).
    const expected = await warehouse.query<{ branch: string; mean: number }>(`
      SELECT c.branch, avg(coalesce(d.days, 0)) AS mean
      FROM mozdata.contrail_sample.clients c
      LEFT JOIN (
        SELECT cd.client_id, count(*) AS days
        FROM mozdata.telemetry.clients_daily cd
        JOIN mozdata.contrail_sample.clients c2 ON c2.client_id = cd.client_id
        WHERE c2.experiment = '${DEMO_SLUG}'
          AND cd.submission_date BETWEEN c2.enrollment_date AND c2.enrollment_date + 6
          AND (cd.submission_date <> c2.enrollment_date OR list_contains(list_transform(cd.experiments, x -> x.key), '${DEMO_SLUG}'))
        GROUP BY cd.client_id
      ) d ON d.client_id = c.client_id
      WHERE c.experiment = '${DEMO_SLUG}' AND c.enrollment_date IS NOT NULL
      GROUP BY c.branch`);
    const means = await warehouse.query<{ branch: string; point: number; lower: number; upper: number }>(
      `SELECT branch, point, lower, upper FROM preview_test.statistics_contrail_demo_sidebar_week_1
       WHERE metric = 'days_of_use' AND statistic = 'mean_lm' AND segment = 'all' AND analysis_basis = 'enrollments' AND comparison IS NULL`,
    );
    assert.equal(means.length, 3);
    for (const row of means) {
      const want = expected.find((e) => e.branch === row.branch)!.mean;
      assert.ok(Math.abs(row.point - want) < 1e-9, `${row.branch}: ${row.point} vs ${want}`);
      assert.ok(
        row.lower <= row.point && row.point <= row.upper,
        `${row.branch}: ${row.lower} ≤ ${row.point} ≤ ${row.upper}`,
      );
    }
    // Preview tables expire (seed 000: a dataset that deletes data after 7 days).
    const tables = (await warehouse.listTables('preview_test', 'statistics_')).filter((t) =>
      /_(day|week)_\d+$/.test(t.ref.table),
    );
    assert.ok(tables.length > 0, 'statistics tables in the preview dataset');
    for (const t of tables) assert.notEqual(t.expiresAt, null, `${t.ref.table} expires`);
    // A preview exports nothing unless asked: production's export files are never touched.
    assert.deepEqual(readdirSync(exportDir, { recursive: true }), []);
  });

  test('dailyAnalysis over 5 experiments: 4 succeed, the broken config is reported and not retried', async () => {
    const result = (await temporal.client.workflow.execute('dailyAnalysis', {
      taskQueue: temporal.taskQueue,
      workflowId: `daily-test/${temporal.taskQueue}`,
      args: [{ date: '2026-03-20', dataset: 'daily_test', concurrency: 3 }],
    })) as DailyAnalysisResult;
    assert.deepEqual(result.analyzed.map((a) => a.slug).sort(), [
      'contrail-demo-pinned-tabs',
      'contrail-demo-search-bar',
      'contrail-demo-sidebar',
      'contrail-test-copy',
    ]);
    // Still enrolling (pinned tabs) or ended (search bar): nothing due, no analysis started to say so.
    const status = (slug: string) => result.analyzed.find((a) => a.slug === slug)?.status;
    assert.deepEqual(
      ['contrail-demo-pinned-tabs', 'contrail-demo-search-bar'].map((slug) => [
        status(slug),
        calls.get(`planDay:${slug}`),
      ]),
      [
        ['nothing-due', undefined],
        ['nothing-due', undefined],
      ],
    );
    assert.equal(status('contrail-demo-sidebar'), 'analyzed');
    assert.equal(result.failed.length, 1);
    const failed = result.failed[0]!;
    assert.equal(failed.slug, 'contrail-test-broken');
    assert.equal(failed.errorType, 'ConfigError');
    assert.match(failed.message, /contrail-test-broken\.toml/);
    assert.match(failed.message, /num_sampels/);
    assert.match(failed.message, /num_samples/, 'suggests the valid key');
    assert.equal(calls.get('planDay:contrail-test-broken'), 1, 'a config error is not retried');
    const logged = await warehouse.query<Record<string, unknown>>(
      "SELECT exception, filename, func_name FROM daily_test.logs WHERE experiment = 'contrail-test-broken'",
    );
    // With jetstream's columns: the exception as its log handler writes it, and where in
    // contrail's code the error was raised, from the stack the activity's failure carried to the
    // workflow (its message says "unknown", which must not cost the stack its frames).
    assert.equal(logged.length, 1);
    assert.match(
      String(logged[0]?.exception),
      /^\(<class 'ConfigError'>, ConfigError\(".*num_sampels.*"\), None\)$/,
    );
    assert.deepEqual(
      [logged[0]?.filename, logged[0]?.func_name],
      ['src/config/problems.ts', 'ProblemList.throwIfErrors'],
    );
  });

  test('starting the same analyzeExperiment twice gives one run', async () => {
    // A date before the experiment starts: nothing is due, so only the starts are under test.
    const options = {
      workflowType: 'analyzeExperiment' as const,
      workflowId: `analysis/${DEMO_SLUG}/2026-03-01/twice-${temporal.taskQueue}`,
      input: { slug: DEMO_SLUG, date: '2026-03-01', dataset: 'twice_test' },
      taskQueue: temporal.taskQueue,
      summary: 'twice',
      differences: (running: unknown) => inputDifferences('analyzeExperiment', running, options.input),
    };
    const starts = await Promise.all([
      startWorkflow(temporal.client, options),
      startWorkflow(temporal.client, options),
    ]);
    assert.deepEqual(starts.map((s) => s.started).sort(), [false, true], 'one started, one joined it');
    const result = (await starts[0]!.handle.result()) as AnalysisResult;
    assert.equal(result.status, 'nothing-due');
    assert.deepEqual(await starts[1]!.handle.result(), result);
    let runs = 0;
    for await (const _ of temporal.client.workflow.list({ query: `WorkflowId = '${options.workflowId}'` }))
      runs++;
    assert.equal(runs, 1);
  });

  test('contrail cancel stops a detached backfill and the analyses it started, and nothing is published', async () => {
    const env = temporal.env;
    const dates = [WEEK_1, '2026-03-16'];
    const id = workflowIds.backfill([DEMO_SLUG], dates[0]!, dates[1]!, CANCELLED);
    const analyses = dates.map((date) => workflowIds.analysis(DEMO_SLUG, date, CANCELLED));
    const detached = await runMain(
      [
        'backfill',
        '--slug',
        DEMO_SLUG,
        '--start_date',
        dates[0]!,
        '--end_date',
        dates[1]!,
        '--dataset_id',
        CANCELLED,
        '--detach',
      ],
      env,
    );
    assert.equal(detached.code, 0, detached.stderr);
    assert.equal(detached.stdout.split('\n')[0], `started ${id}`);
    try {
      for (const until = Date.now() + 60_000; heldForCancel < dates.length; ) {
        assert.ok(Date.now() < until, `${heldForCancel} analyses reached their metrics`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // A mistyped id is named, with the running workflow it resembles.
      const typo = id.replace('..2026-03-16', '..2026-03-61');
      const unknown = await runMain(['cancel', typo], env);
      assert.equal(unknown.code, 1);
      assert.equal(
        unknown.stderr.trim(),
        `contrail: no workflow ${typo} (did you mean '${id}'?) on ${env.TEMPORAL_ADDRESS} (namespace ${temporal.namespace}); \`contrail status\` lists what runs there`,
      );

      const cancel = await runMain(['cancel', id], env);
      assert.equal(cancel.code, 0, cancel.stderr);
      assert.equal(
        cancel.stdout,
        `${id} stopped while analysing, 0 of 2 done: cancelled ${id}, ${analyses.join(', ')}; a backfill publishes at its end: unless it was publishing, the published results are as they were\n`,
      );
      // It waited for the analyses too: they are workflows of their own, not the backfill's children.
      for (const w of [id, ...analyses])
        assert.equal((await temporal.client.workflow.getHandle(w).describe()).status.name, 'CANCELLED', w);
      // Nothing published: the dataset holds the enrollments and staged tables, no result and no export.
      const tables = await warehouse.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = '${CANCELLED}'`,
      );
      assert.ok(
        tables.some((t) => t.name.startsWith('enrollments_')),
        'the analyses wrote their enrollments there',
      );
      assert.deepEqual(
        tables.map((t) => t.name).filter((t) => !t.startsWith('staging_') && !t.startsWith('enrollments_')),
        [],
      );
      assert.deepEqual(
        readdirSync(exportDir).filter((f) => f.includes(CANCELLED)),
        [],
      );

      // Once it has ended, a cancel does nothing and says how and when it ended.
      const again = await runMain(['cancel', id, '--json'], env);
      assert.equal(again.code, 0, again.stderr);
      const report = JSON.parse(again.stdout) as { requested: boolean; status: string; summary: string };
      assert.equal(report.requested, false);
      assert.equal(report.status, 'cancelled');
      assert.match(
        report.summary,
        new RegExp(
          `^${id.replace(/[.]/g, '\\.')} \\(backfill\\) had already ended: cancelled at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z; nothing was cancelled$`,
        ),
      );
    } finally {
      for (const w of [id, ...analyses])
        await temporal.client.workflow
          .getHandle(w)
          .terminate('test over')
          .catch(() => undefined);
    }
  });

  test('an analysis cancelled while its statistics compute stops within seconds: its activity ends cancelled and nothing is published', async () => {
    const dataset = 'cancel_statistics';
    // Bootstraps of a million replicates: the statistics step would compute for a long while.
    const heavy = readFileSync(join(DEMO_CONFIG_REPO, 'jetstream', `${DEMO_SLUG}.toml`), 'utf8').replace(
      /num_samples = \d+/,
      'num_samples = 1000000',
    );
    const handle = await temporal.client.workflow.start('analyzeExperiment', {
      taskQueue: temporal.taskQueue,
      workflowId: workflowIds.analysis(DEMO_SLUG, WEEK_1, dataset),
      args: [{ slug: DEMO_SLUG, date: WEEK_1, dataset, periods: ['week'], configOverride: heavy }],
    });
    try {
      // Cancelled while the statistics compute, just after the activity's last heartbeat: the
      // next one, whose answer carries the cancellation, is as far away as it ever is.
      let said = '';
      let beat: number | null = null;
      await until('the statistics step computes, just after a heartbeat', async () => {
        const { raw } = await handle.describe();
        const step = raw.pendingActivities?.find((a) => a.activityType?.name === 'computeStatistics');
        if (!step?.lastStartedTime || !step.lastHeartbeatTime) return false;
        // The step's own heartbeats and the keep-alive's, which repeat the step's latest details.
        const details = Buffer.from(step.heartbeatDetails?.payloads?.[0]?.data ?? []).toString();
        if (details.includes('computing statistics')) said = details;
        const last =
          Number(step.lastHeartbeatTime.seconds) * 1000 + (step.lastHeartbeatTime.nanos ?? 0) / 1e6;
        // Only once the step says it computes: on a loaded machine reading the inputs alone
        // can take seconds, and a cancel then would test another stage.
        const computing = said.includes('computing statistics');
        const fresh = beat !== null && last > beat;
        beat = last;
        return computing && fresh;
      });
      const cancelled = Date.now();
      await handle.cancel();
      await assert.rejects(handle.result(), /cancelled/);
      const took = Date.now() - cancelled;
      assert.ok(took < 3_000, `the analysis ended ${took} ms after its cancellation`);
      assert.match(said, /"job":"computing statistics".*"detail":"\d+ of \d+ statistics"/);

      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = events.find(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'computeStatistics',
      );
      assert.ok(scheduled?.eventId, 'the statistics step was scheduled');
      assert.ok(
        events.some(
          (e) =>
            e.activityTaskCanceledEventAttributes?.scheduledEventId?.toString() ===
            scheduled.eventId?.toString(),
        ),
        'the statistics activity ended cancelled',
      );
      // Nothing published or half-written: no statistics table, no view, no log row, no export.
      const tables = await warehouse.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = '${dataset}'`,
      );
      assert.deepEqual(
        tables.map((t) => t.name).filter((t) => t.startsWith('statistics_') || t === 'logs'),
        [],
      );
      assert.deepEqual(
        readdirSync(exportDir).filter((f) => f.includes(dataset)),
        [],
      );
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });

  test('a preview cancelled while a date publishes: that date is published in full, the next is not started, and the report says so', async () => {
    const dataset = 'cancel_publish';
    const id = workflowIds.preview(DEMO_SLUG, dataset);
    const release = hold(`publish ${dataset}`);
    const handle = await temporal.client.workflow.start('preview', {
      taskQueue: temporal.taskQueue,
      workflowId: id,
      args: [
        {
          slug: DEMO_SLUG,
          startDate: WEEK_1,
          endDate: '2026-03-16',
          periods: ['week'],
          sampleSize: 100,
          dataset,
        },
      ],
    });
    try {
      // Held in its publish activity, as a swap of many BigQuery copy jobs takes its time.
      await until('the first date publishes', () => holds.get(`publish ${dataset}`)?.reached === true);
      const cancel = runMain(['cancel', id], temporal.env);
      const analysis = temporal.client.workflow.getHandle(`${id}/${WEEK_1}`);
      await until('the cancellation reaches the analysis', async () =>
        ((await analysis.fetchHistory()).events ?? []).some(
          (e) => e.workflowExecutionCancelRequestedEventAttributes,
        ),
      );
      // Heeded, it would reach the publish activity with the answer to its next heartbeat.
      await new Promise((r) => setTimeout(r, 2_000));
      release();
      const cancelled = await cancel;
      assert.equal(cancelled.code, 0, cancelled.stderr);
      assert.match(
        cancelled.stdout,
        /^Interrupted: 2026-03-15 finished \(2026-03-15 was publishing, which runs to its end: its results are published in full\); not run: 2026-03-16$/m,
      );
      const result = (await handle.result()) as PreviewResult;
      assert.deepEqual(
        [result.days.map((d) => d.date), result.interrupted],
        [[WEEK_1], { date: '2026-03-16', notRun: [], notStarted: true }],
      );
      assert.equal((await analysis.describe()).status.name, 'COMPLETED');
      // Every table of the date published with its views, nothing left staged.
      const tables = (await warehouse.listTables(dataset)).map((t) => t.ref.table);
      assert.deepEqual(
        tables.filter((t) => t.startsWith('staging_')),
        [],
      );
      assert.ok(tables.includes('statistics_contrail_demo_sidebar_week_1'), tables.join(', '));
      assert.ok(tables.includes('statistics_contrail_demo_sidebar_weekly'), tables.join(', '));
      assert.ok(
        tables.some((t) => /^contrail_demo_sidebar_exposures_.*_week_1$/.test(t)),
        tables.join(', '),
      );
    } finally {
      release();
      await handle.terminate('test over').catch(() => undefined);
    }
  });

  /** A backfill on this file's worker, to its result. */
  const backfill = async (workflowId: string, input: BackfillInput) =>
    (await temporal.client.workflow.execute('backfill', {
      taskQueue: temporal.taskQueue,
      workflowId,
      args: [input],
    })) as BackfillResult;

  test('a long backfill continues as new and still reports every experiment-day', async () => {
    const workflowId = `backfill-can/${temporal.taskQueue}`;
    const result = await backfill(workflowId, {
      slugs: [DEMO_SLUG],
      startDate: '2026-03-14',
      endDate: '2026-03-16',
      periods: ['week'],
      dataset: 'can_test',
      continueAsNewAfter: 1,
    });
    assert.equal(result.total, 3);
    assert.deepEqual(result.failed, []);
    assert.equal(result.analyzed + result.nothingDue, 3);
    assert.ok(
      await warehouse.tableExists({ dataset: 'can_test', table: 'statistics_contrail_demo_sidebar_week_1' }),
    );
    let runs = 0;
    for await (const _ of temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs++;
    assert.equal(runs, 3, '3 days in batches of 1: three runs');
  });

  test("a backfill starts no analysis of a date before the experiment's last enrollment date or after its end date", async () => {
    // The demo experiment starts 2026-03-02 and enrolls for 8 days: nothing is due before its
    // last enrollment date, 2026-03-09 (the first day window), so nothing before it starts.
    const workflowId = `backfill-outside/${temporal.taskQueue}`;
    const result = await backfill(workflowId, {
      slugs: [DEMO_SLUG],
      startDate: '2026-02-27',
      endDate: '2026-03-09',
      periods: ['week'],
      dataset: 'outside_test',
    });
    assert.deepEqual(result.failed, []);
    assert.deepEqual([result.total, result.nothingDue, result.analyzed], [11, 10, 1]);
    assert.equal(result.outside?.[DEMO_SLUG]?.days, 10);
    const started = async (id: string) => {
      try {
        await temporal.client.workflow.getHandle(id).describe();
        return true;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      }
    };
    assert.deepEqual(
      await Promise.all(
        ['2026-02-27', '2026-03-02', '2026-03-08', '2026-03-09'].map((date) =>
          started(workflowIds.analysis(DEMO_SLUG, date, 'outside_test')),
        ),
      ),
      [false, false, false, true],
    );
    // The search-bar experiment ended 2026-03-08: nothing after it is started either.
    const ended = await backfill(`${workflowId}/ended`, {
      slugs: ['contrail-demo-search-bar'],
      startDate: '2026-03-08',
      endDate: '2026-03-10',
      dataset: 'outside_test',
    });
    assert.deepEqual(ended.failed, []);
    assert.deepEqual([ended.total, ended.analyzed, ended.nothingDue], [3, 1, 2]);
    const analysed = (date: string) => workflowIds.analysis('contrail-demo-search-bar', date, 'outside_test');
    assert.equal(await started(analysed('2026-03-08')), true);
    assert.equal(await started(analysed('2026-03-09')), false);
  });

  /** What a parent waits for before it starts its own run of the same id, once it says so. */
  const behindOf = async (workflowId: string): Promise<Progress['behind']> => {
    let behind: Progress['behind'] = [];
    await until(`${workflowId} waits for another parent's run`, async () => {
      const handle = temporal.client.workflow.getHandle(workflowId);
      try {
        const { status } = await handle.describe();
        // Ended without waiting (a parent that was refused the run): what it returned says why.
        if (status.name !== 'RUNNING')
          assert.fail(
            `${workflowId} ${status.name} without waiting: ${JSON.stringify(await handle.result())}`,
          );
        behind = (await handle.query<Progress>('progress')).behind ?? [];
      } catch (error) {
        // Not started yet, or its first task not run yet (no query handler).
        if (error instanceof WorkflowNotFoundError || error instanceof QueryNotRegisteredError) return false;
        throw error;
      }
      return behind.length > 0;
    });
    return behind;
  };
  const runsOf = async (workflowId: string) => {
    let runs = 0;
    for await (const _ of temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs++;
    return runs;
  };

  test("a backfill that meets the daily run's analysis of its date waits for it, then analyses the day itself: done, not failed", async () => {
    const date = '2026-03-20';
    const analysis = workflowIds.analysis(DEMO_SLUG, date, OVERLAP);
    // The daily run's analysis publishes itself: its tables are its own run's.
    const release = hold(analysis);
    const dailyId = workflowIds.daily(date, OVERLAP);
    const daily = await temporal.client.workflow.start('dailyAnalysis', {
      taskQueue: temporal.taskQueue,
      workflowId: dailyId,
      args: [{ date, dataset: OVERLAP, concurrency: 3 }],
    });
    try {
      await until('the daily run analyses the day', () => holds.get(analysis)?.reached === true);
      const backfillId = workflowIds.backfill([DEMO_SLUG], date, date, OVERLAP);
      const args = ['backfill', '--slug', DEMO_SLUG, '--start_date', date, '--end_date', date];
      const followed = runMain([...args, '--dataset_id', OVERLAP], temporal.env);
      assert.deepEqual(await behindOf(backfillId), [
        { workflowId: analysis, label: `${DEMO_SLUG} ${date}`, startedBy: dailyId },
      ]);
      // The follower polls its progress twice a second: it has seen the wait.
      await new Promise((r) => setTimeout(r, 1500));
      release();
      const cli = await followed;
      assert.equal(cli.code, 0, cli.stdout + cli.stderr);
      assert.match(
        cli.stdout + cli.stderr,
        new RegExp(
          `${DEMO_SLUG} ${date}: waiting for ${analysis}, started by ${dailyId}, to end before starting its own`,
        ),
      );
      const result = (await temporal.client.workflow.getHandle(backfillId).result()) as BackfillResult;
      assert.deepEqual([result.analyzed, result.failed], [1, []]);
      const dailyResult = (await daily.result()) as DailyAnalysisResult;
      assert.equal(dailyResult.analyzed.find((a) => a.slug === DEMO_SLUG)?.status, 'analyzed');
      assert.deepEqual(
        dailyResult.failed.map((f) => f.slug),
        ['contrail-test-broken'],
      );
      // The backfill computed the day under its own staging names: a run of its own after the daily run's.
      assert.equal(await runsOf(analysis), 2);
    } finally {
      release();
    }
  });

  test("a daily run that meets a backfill's analysis of its date waits for it, then analyses and publishes the day itself", async () => {
    const date = '2026-03-19';
    const analysis = workflowIds.analysis(DEMO_SLUG, date, OVERLAP);
    const backfillId = workflowIds.backfill([DEMO_SLUG], date, date, OVERLAP);
    // The backfill's analysis writes under the backfill's staging names, published at its end.
    const release = hold(backfillId);
    const backfill = await temporal.client.workflow.start('backfill', {
      taskQueue: temporal.taskQueue,
      workflowId: backfillId,
      args: [
        { slugs: [DEMO_SLUG], startDate: date, endDate: date, dataset: OVERLAP } satisfies BackfillInput,
      ],
    });
    try {
      await until('the backfill analyses the day', () => holds.get(backfillId)?.reached === true);
      const dailyId = workflowIds.daily(date, OVERLAP);
      const daily = await temporal.client.workflow.start('dailyAnalysis', {
        taskQueue: temporal.taskQueue,
        workflowId: dailyId,
        args: [{ date, dataset: OVERLAP, concurrency: 3 }],
      });
      assert.deepEqual(await behindOf(dailyId), [
        { workflowId: analysis, label: DEMO_SLUG, startedBy: backfillId },
      ]);
      release();
      const dailyResult = (await daily.result()) as DailyAnalysisResult;
      assert.equal(dailyResult.analyzed.find((a) => a.slug === DEMO_SLUG)?.status, 'analyzed');
      assert.deepEqual(
        dailyResult.failed.map((f) => f.slug),
        ['contrail-test-broken'],
      );
      const result = (await backfill.result()) as BackfillResult;
      assert.deepEqual([result.analyzed, result.failed], [1, []]);
      assert.equal(await runsOf(analysis), 2);
    } finally {
      release();
    }
  });

  test("two overlapping backfills: the later waits for the earlier one's day, stops waiting when cancelled, and both end done", async () => {
    const [first, second] = ['2026-03-17', '2026-03-18'] as const;
    const analysis = workflowIds.analysis(DEMO_SLUG, second, OVERLAP);
    const earlierId = workflowIds.backfill([DEMO_SLUG], second, second, OVERLAP);
    const laterId = workflowIds.backfill([DEMO_SLUG], first, second, OVERLAP);
    const start = (workflowId: string, startDate: string) =>
      temporal.client.workflow.start('backfill', {
        taskQueue: temporal.taskQueue,
        workflowId,
        args: [
          {
            slugs: [DEMO_SLUG],
            startDate,
            endDate: second,
            dataset: OVERLAP,
            concurrency: 2,
          } satisfies BackfillInput,
        ],
      });
    const release = hold(earlierId);
    try {
      const earlier = await start(earlierId, second);
      await until('the earlier backfill analyses its day', () => holds.get(earlierId)?.reached === true);
      const cancelled = await start(laterId, first);
      assert.deepEqual(await behindOf(laterId), [
        { workflowId: analysis, label: `${DEMO_SLUG} ${second}`, startedBy: earlierId },
      ]);
      // Cancelled while it waits: it stops, and the earlier backfill's analysis goes on.
      await cancelled.cancel();
      await assert.rejects(cancelled.result(), WorkflowFailedError);
      assert.equal((await temporal.client.workflow.getHandle(analysis).describe()).status.name, 'RUNNING');

      const later = await start(laterId, first);
      await behindOf(laterId);
      release();
      const results = (await Promise.all([earlier.result(), later.result()])) as BackfillResult[];
      assert.deepEqual(
        results.map((r) => [r.analyzed, r.failed]),
        [
          [1, []],
          [2, []],
        ],
      );
    } finally {
      release();
    }
  });

  test('a backfill cancelled and started again at once waits for its cancelled analysis to stop, then analyses the day: done, not failed', async () => {
    const date = '2026-03-16';
    const analysis = workflowIds.analysis(DEMO_SLUG, date, OVERLAP);
    const backfillId = workflowIds.backfill([DEMO_SLUG], date, date, OVERLAP);
    const start = () =>
      temporal.client.workflow.start('backfill', {
        taskQueue: temporal.taskQueue,
        workflowId: backfillId,
        args: [
          { slugs: [DEMO_SLUG], startDate: date, endDate: date, dataset: OVERLAP } satisfies BackfillInput,
        ],
      });
    // Its metrics job stops only when released: cancelled, the analysis is still running.
    const release = hold(backfillId, { honoursCancel: false });
    try {
      const cancelled = await start();
      await until('the backfill analyses the day', () => holds.get(backfillId)?.reached === true);
      await cancelled.cancel();
      await assert.rejects(cancelled.result(), WorkflowFailedError);
      const dying = await temporal.client.workflow.getHandle(analysis).describe();
      assert.deepEqual(
        [dying.status.name, dying.raw.workflowExtendedInfo?.cancelRequested],
        ['RUNNING', true],
      );

      const again = await start();
      // It neither joins the stopping run (it would end cancelled, the day with it) nor starts
      // another beside it: it waits for it.
      let progress: Progress | undefined;
      await until('the backfill started again starts or waits for the analysis', async () => {
        try {
          progress = await again.query<Progress>('progress');
        } catch (error) {
          if (error instanceof QueryNotRegisteredError) return false;
          throw error;
        }
        return (progress.behind ?? []).length > 0 || (progress.runs ?? []).includes(analysis);
      });
      assert.deepEqual(
        [progress?.runs, progress?.behind],
        [
          [],
          [
            {
              workflowId: analysis,
              label: `${DEMO_SLUG} ${date}`,
              startedBy: `an earlier run of ${backfillId}, cancelled and still stopping`,
            },
          ],
        ],
      );
      release();
      const result = (await again.result()) as BackfillResult;
      assert.deepEqual([result.analyzed, result.failed], [1, []]);
      assert.equal(await runsOf(analysis), 2);
    } finally {
      release();
    }
  });

  test('the README documents a `temporal workflow start` command that completes a preview', async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const block = /<!-- preview-command[^>]*-->\s*```sh\n([^\n]+)\n```/.exec(readme)?.[1];
    assert.ok(block, 'README has the marked preview command');
    const [binary, ...words] = block.match(/'[^']*'|\S+/g)!.map((w) => w.replace(/^'|'$/g, ''));
    assert.equal(binary, '.tools/venv/bin/temporal');
    const args = words.map((w) => (w === 'contrail' ? temporal.taskQueue : w));
    const workflowId = args[args.indexOf('--workflow-id') + 1]!;
    execFileSync(
      temporalBinary(),
      [...args, '--address', temporal.address, '--namespace', temporal.namespace],
      {
        encoding: 'utf8',
      },
    );
    const result = (await temporal.client.workflow.getHandle(workflowId).result()) as PreviewResult;
    assert.equal(result.slug, DEMO_SLUG);
    assert.ok(
      result.days.some((d) => d.statistics.length > 0),
      'the preview computed statistics',
    );
  });

  test("says each attempt of the analysis's retrying activity, naming the analysis and its failure", async () => {
    const workflowId = `backfill-follow/${temporal.taskQueue}`;
    const input: BackfillInput = {
      slugs: [DEMO_SLUG],
      startDate: WEEK_1,
      endDate: WEEK_1,
      periods: ['week'],
      dataset: FOLLOWED,
    };
    await temporal.client.workflow.start('backfill', {
      taskQueue: temporal.taskQueue,
      workflowId,
      args: [input],
    });
    const lines: string[] = [];
    const result = await followWorkflow<BackfillResult>(temporal.client, workflowId, {
      progressBar: false,
      log: (line) => lines.push(line),
      retryCheckMs: 200,
    });
    assert.deepEqual(result.failed, []);
    const analysis = workflowIds.analysis(DEMO_SLUG, WEEK_1, FOLLOWED);
    assert.deepEqual(
      lines.filter((l) => l.startsWith('retrying')),
      [
        `retrying computeMetrics (attempt 2) in ${analysis}: ${FULL}`,
        `retrying computeMetrics (attempt 3) in ${analysis}: failed the same way`,
      ],
      lines.join('\n'),
    );
  });

  test("a preview refused for its estimate prints the estimating stage's line before the estimate, however late its progress is first seen", async () => {
    const workflowId = `preview-refused/${temporal.taskQueue}`;
    const input: PreviewInput = {
      slug: DEMO_SLUG,
      startDate: '2026-03-14',
      endDate: WEEK_1,
      periods: ['week'],
      sampleSize: 100,
      dataset: 'following_refused',
      maxBytes: 1000,
    };
    const handle = await temporal.client.workflow.start('preview', {
      taskQueue: temporal.taskQueue,
      workflowId,
      args: [input],
    });
    await assert.rejects(handle.result(), WorkflowFailedError);
    // Followed once it has failed, its progress is first seen by the last query: in the stage
    // it failed in, with the notes that stage found, as a follower whose polls all came too
    // late (a loaded machine) sees it.
    const lines: string[] = [];
    await assert.rejects(
      followWorkflow(temporal.client, workflowId, { progressBar: false, log: (l) => lines.push(l) }),
      /more than --max_bytes 1000 B/,
    );
    assert.equal(lines[0], 'estimating cost (0/2)', lines.join('\n'));
    assert.match(lines[1] ?? '', /^cost before running/, lines.join('\n'));
    assert.equal(lines.filter((l) => l.startsWith('estimating cost')).length, 1, lines.join('\n'));
  });
});
