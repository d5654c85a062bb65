import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { withFailureMapping } from '../../src/activities/failures.js';
import { PreviewQueriesRejectedError, PreviewTooExpensiveError } from '../../src/analysis/cost-report.js';
import {
  InvalidInputError,
  StatisticsFailedError,
  UnknownExperimentError,
} from '../../src/analysis/errors.js';
import { SlugCollisionError } from '../../src/analysis/ownership.js';
import { CliError } from '../../src/client/errors.js';
import { ConfigError } from '../../src/config/problems.js';
import { DashboardDataError, DashboardRequestError } from '../../src/dashboard/errors.js';
import { InvalidDateError } from '../../src/dates.js';
import { ContrailError, StepsFailedError } from '../../src/errors.js';
import { ExperimenterError } from '../../src/experiments/experimenter.js';
import { ExperimentsFileError } from '../../src/experiments/source.js';
import { InvalidExportTargetError } from '../../src/exports/target.js';
import { SampleWarehouseError } from '../../src/sample/generate.js';
import { SettingsError } from '../../src/settings.js';
import { PlanError } from '../../src/sql/plan/common.js';
import { SqlSyntaxError } from '../../src/sql/render/bigquery-lexer.js';
import { PlannedQueryError } from '../../src/sql/run.js';
import { EnrollmentLongerThanAnalysisError, NoStartDateError } from '../../src/sql/windows.js';
import { StatisticConfigError } from '../../src/statistics/index.js';
import { StatisticsPool } from '../../src/statistics/pool.js';
import { errorFromFailure } from '../../src/temporal/failures.js';
import { DeploymentError } from '../../src/temporal/worker-deployments.js';
import { AnchorError } from '../../src/versions/anchor.js';
import { PinnedBuildError, PinOverrideError } from '../../src/versions/pin.js';
import { ReleaseRegistryError, UnknownReleaseError } from '../../src/versions/release.js';
import {
  embeddedMissingTableError,
  WarehouseBusyError,
  WarehouseQueryError,
  WarehouseUnavailableError,
} from '../../src/warehouse/errors.js';
import { InvalidFaultsError } from '../../src/warehouse/faults.js';
import { InvalidIdentifierError } from '../../src/warehouse/identifiers.js';
import { InvalidLabelError } from '../../src/warehouse/labels.js';
import { InvalidWorkflowInput } from '../../src/workflows/inputs.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';
import type { ErrorProbeActivities } from './error-boundary.workflows.js';

/**
 * The error boundary end to end: every error class contrail raises, thrown by a real activity
 * on the real dev server, is attempted once when it is permanent and retried when it is not,
 * as the workflow history records it; it keeps its class name on the way; and an error
 * computed on a statistics worker thread keeps its class across the thread boundary.
 */

const src = fileURLToPath(new URL('../../src/', import.meta.url));
const PLANNED = {
  kind: 'metrics' as const,
  destination: { dataset: 'contrail', table: 'metrics_x' },
  sql: 'SELECT 1',
  metrics: [{ name: 'active_hours', provenance: { file: 'x.toml', key: 'metrics.active_hours', line: 3 } }],
};

/** One error of each class (both kinds where a class can be either), and what must happen to it. */
const CASES: Record<string, { errorType: string; permanent: boolean; make: () => unknown }> = {
  ContrailError: {
    errorType: 'ContrailError',
    permanent: true,
    make: () => new ContrailError('permanent', { permanent: true }),
  },
  'ContrailError (transient)': {
    errorType: 'ContrailError',
    permanent: false,
    make: () => new ContrailError('transient', { permanent: false }),
  },
  StepsFailedError: {
    errorType: 'StepsFailedError',
    permanent: true,
    make: () =>
      new StepsFailedError(
        [
          new ContrailError('scan a failed', { permanent: true }),
          new ContrailError('scan b failed', { permanent: true }),
        ],
        'metrics scan',
      ),
  },
  'StepsFailedError (one transient)': {
    errorType: 'StepsFailedError',
    permanent: false,
    make: () =>
      new StepsFailedError(
        [
          new ContrailError('scan a failed', { permanent: true }),
          new ContrailError('the warehouse was busy', { permanent: false }),
        ],
        'metrics scan',
      ),
  },
  ConfigError: {
    errorType: 'ConfigError',
    permanent: true,
    make: () => new ConfigError([{ file: 'a.toml', line: 1, keyPath: 'metrics', message: 'bad' }]),
  },
  PlanError: { errorType: 'PlanError', permanent: true, make: () => new PlanError('bad plan') },
  StatisticConfigError: {
    errorType: 'StatisticConfigError',
    permanent: true,
    make: () => new StatisticConfigError('bad parameter'),
  },
  EnrollmentLongerThanAnalysisError: {
    errorType: 'EnrollmentLongerThanAnalysisError',
    permanent: true,
    make: () => new EnrollmentLongerThanAnalysisError('x', 0),
  },
  NoStartDateError: { errorType: 'NoStartDateError', permanent: true, make: () => new NoStartDateError('x') },
  InvalidDateError: { errorType: 'InvalidDateError', permanent: true, make: () => new InvalidDateError('x') },
  InvalidExportTargetError: {
    errorType: 'InvalidExportTargetError',
    permanent: true,
    make: () => new InvalidExportTargetError('gs://'),
  },
  SqlSyntaxError: {
    errorType: 'SqlSyntaxError',
    permanent: true,
    make: () => new SqlSyntaxError('unterminated'),
  },
  SampleWarehouseError: {
    errorType: 'SampleWarehouseError',
    permanent: true,
    make: () => new SampleWarehouseError('no mozdata'),
  },
  ExperimentsFileError: {
    errorType: 'ExperimentsFileError',
    permanent: true,
    make: () => new ExperimentsFileError('experiments.json', 'not JSON'),
  },
  StatisticsFailedError: {
    errorType: 'StatisticsFailedError',
    permanent: true,
    make: () =>
      new StatisticsFailedError([
        { metric: 'm', statistic: 'binomial', message: 'values must be 0 or 1', permanent: true },
      ]),
  },
  'StatisticsFailedError (transient)': {
    errorType: 'StatisticsFailedError',
    permanent: false,
    make: () =>
      new StatisticsFailedError([
        { metric: 'm', statistic: 'binomial', message: 'values must be 0 or 1', permanent: true },
        { metric: 'n', statistic: 'bootstrap_mean', message: 'worker thread exited', permanent: false },
      ]),
  },
  UnknownExperimentError: {
    errorType: 'UnknownExperimentError',
    permanent: true,
    make: () => new UnknownExperimentError('nope', []),
  },
  PreviewTooExpensiveError: {
    errorType: 'PreviewTooExpensiveError',
    permanent: true,
    make: () =>
      new PreviewTooExpensiveError(
        {
          method: 'column_sizes',
          queries: [{ date: '2026-03-10', table: 'enrollments_x', kind: 'enrollments', bytes: 2048 }],
          totalBytes: 2048,
          usdPerTib: 6.25,
          totalUsd: 0,
          ownTableQueries: 0,
        },
        1024,
      ),
  },
  PreviewQueriesRejectedError: {
    errorType: 'PreviewQueriesRejectedError',
    permanent: true,
    make: () =>
      new PreviewQueriesRejectedError([
        {
          date: '2026-03-10',
          table: 'metrics_x_clients_daily_day_1',
          kind: 'metrics',
          bytes: null,
          rejected: 'Unrecognized name: no_such_column at [3:8]',
          subjects: [{ file: 'jetstream/x.toml', key: 'metrics.broken', line: 4, metric: 'broken' }],
        },
      ]),
  },
  InvalidInputError: {
    errorType: 'InvalidInputError',
    permanent: true,
    make: () => new InvalidInputError('not due'),
  },
  InvalidWorkflowInput: {
    errorType: 'InvalidWorkflowInput',
    permanent: true,
    make: () => new InvalidWorkflowInput('bad input'),
  },
  InvalidIdentifierError: {
    errorType: 'InvalidIdentifierError',
    permanent: true,
    make: () => new InvalidIdentifierError('table name', 'x;y', 'letters'),
  },
  InvalidLabelError: {
    errorType: 'InvalidLabelError',
    permanent: true,
    make: () => new InvalidLabelError('bad label'),
  },
  CliError: { errorType: 'CliError', permanent: true, make: () => new CliError('bad flag') },
  SettingsError: {
    errorType: 'SettingsError',
    permanent: true,
    make: () =>
      new SettingsError('CONTRAIL_LOG_LEVEL=loud: valid levels are TRACE, DEBUG, INFO, WARN, ERROR'),
  },
  DashboardRequestError: {
    errorType: 'DashboardRequestError',
    permanent: true,
    make: () => new DashboardRequestError('no such dataset', 404),
  },
  DashboardDataError: {
    errorType: 'DashboardDataError',
    permanent: true,
    make: () => new DashboardDataError('not a statistics table'),
  },
  InvalidFaultsError: {
    errorType: 'InvalidFaultsError',
    permanent: true,
    make: () => new InvalidFaultsError('CONTRAIL_FAULTS: cannot read "x"'),
  },
  WarehouseBusyError: {
    errorType: 'WarehouseBusyError',
    permanent: false,
    make: () => new WarehouseBusyError('the warehouse file is held by another process'),
  },
  AnchorError: { errorType: 'AnchorError', permanent: true, make: () => new AnchorError('no anchor', {}) },
  SlugCollisionError: {
    errorType: 'SlugCollisionError',
    permanent: true,
    make: () =>
      new SlugCollisionError(
        'my_exp is not analysed into contrail: contrail.enrollments_my_exp belongs to experiment my-exp',
        {
          slug: 'my_exp',
          dataset: 'contrail',
          others: ['my-exp'],
        },
      ),
  },
  PinOverrideError: {
    errorType: 'PinOverrideError',
    permanent: true,
    make: () => new PinOverrideError('use-latest and use-version'),
  },
  PinnedBuildError: {
    errorType: 'PinnedBuildError',
    permanent: true,
    make: () => new PinnedBuildError('pinned to another build', { slug: 'x' }),
  },
  ReleaseRegistryError: {
    errorType: 'ReleaseRegistryError',
    permanent: true,
    make: () => new ReleaseRegistryError('bad manifest'),
  },
  UnknownReleaseError: {
    errorType: 'UnknownReleaseError',
    permanent: true,
    make: () => new UnknownReleaseError('no such release'),
  },
  DeploymentError: {
    errorType: 'DeploymentError',
    permanent: true,
    make: () => new DeploymentError('refused', true, {}),
  },
  'DeploymentError (transient)': {
    errorType: 'DeploymentError',
    permanent: false,
    make: () => new DeploymentError('unavailable', false, {}),
  },
  ExperimenterError: {
    errorType: 'ExperimenterError',
    permanent: true,
    make: () =>
      new ExperimenterError('404 for /api/v8/experiments/', { permanent: true, url: 'http://127.0.0.1/' }),
  },
  'ExperimenterError (transient)': {
    errorType: 'ExperimenterError',
    permanent: false,
    make: () => new ExperimenterError('503, gave up', { permanent: false, url: 'http://127.0.0.1/' }),
  },
  WarehouseQueryError: {
    errorType: 'WarehouseQueryError',
    permanent: true,
    make: () => new WarehouseQueryError({ warehouseMessage: 'Binder Error: no column', permanent: true }),
  },
  'WarehouseQueryError (transient)': {
    errorType: 'WarehouseQueryError',
    permanent: false,
    make: () => new WarehouseQueryError({ warehouseMessage: 'IO Error: lock', permanent: false }),
  },
  WarehouseUnavailableError: {
    errorType: 'WarehouseUnavailableError',
    permanent: false,
    make: () =>
      new WarehouseUnavailableError({
        warehouseMessage: 'BigQuery gave no answer: connect ECONNREFUSED',
        permanent: false,
      }),
  },
  'WarehouseUnavailableError (no credentials)': {
    errorType: 'WarehouseUnavailableError',
    permanent: true,
    make: () =>
      new WarehouseUnavailableError({
        warehouseMessage: 'BigQuery gave no answer: Could not load the default credentials',
        permanent: true,
      }),
  },
  MissingTableError: {
    errorType: 'MissingTableError',
    permanent: true,
    make: () =>
      embeddedMissingTableError({
        table: 'mozdata.telemetry.events',
        file: '/tmp/mozdata.duckdb',
        telemetry: true,
        duckdbMessage: 'Catalog Error: Table with name events does not exist!',
      }),
  },
  PlannedQueryError: {
    errorType: 'PlannedQueryError',
    permanent: true,
    make: () =>
      new PlannedQueryError(
        PLANNED,
        new WarehouseQueryError({ warehouseMessage: 'Binder Error: no column', permanent: true }),
      ),
  },
  'PlannedQueryError (transient)': {
    errorType: 'PlannedQueryError',
    permanent: false,
    make: () =>
      new PlannedQueryError(
        PLANNED,
        new WarehouseQueryError({ warehouseMessage: 'IO Error', permanent: false }),
      ),
  },
  'Error (not contrail’s)': { errorType: 'Error', permanent: false, make: () => new Error('unexpected') },
};

/** A statistic with a misspelt parameter, computed on a statistics worker thread. */
const POOL_CASE = 'StatisticConfigError from a statistics thread';

/** Every class in src/ that extends ContrailError, directly or through another. */
function contrailErrorClasses(): string[] {
  const parents = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/class (\w+) extends (\w+)/g))
          parents.set(m[1] as string, m[2] as string);
      }
    }
  };
  walk(src);
  const reaches = (name: string): boolean => {
    const parent = parents.get(name);
    return parent === 'ContrailError' || (parent !== undefined && reaches(parent));
  };
  return [...parents.keys()].filter(reaches).sort();
}

describe('the error boundary on the real dev server', () => {
  let temporal: TestTemporal;
  let worker: Worker;
  let running: Promise<void>;
  const pool = new StatisticsPool(1);

  before(async () => {
    temporal = await testTemporal();
    const activities: ErrorProbeActivities = withFailureMapping({
      async raise({ name }: { name: string }): Promise<void> {
        if (name === POOL_CASE) {
          await pool.computeAll([
            {
              statistic: { name: 'bootstrap_mean', params: { num_sampels: 5 }, preTreatments: [] },
              input: { metric: 'm', branches: [{ branch: 'a', bins: [{ y: 1, count: 1 }] }], windowDays: 7 },
              context: {
                segment: 'all',
                analysisBasis: 'enrollments',
                windowIndex: '1',
                referenceBranch: null,
                seed: 1,
              },
            },
          ]);
          return;
        }
        throw CASES[name]!.make();
      },
    });
    worker = await Worker.create({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      workflowsPath: fileURLToPath(new URL('./error-boundary.workflows.ts', import.meta.url)),
      activities,
    });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
    await pool.close();
    await temporal.close();
  });

  test('every ContrailError class has a case here', () => {
    const covered = new Set(Object.values(CASES).map((c) => c.errorType));
    const missing = contrailErrorClasses().filter((name) => !covered.has(name));
    assert.deepEqual(missing, [], 'add a case for each new error class');
  });

  test('permanent errors are attempted once, transient ones retried; each keeps its class name', async () => {
    const names = [...Object.keys(CASES), POOL_CASE];
    const handle = await temporal.client.workflow.start('raiseEach', {
      taskQueue: temporal.taskQueue,
      workflowId: `error-boundary/${temporal.taskQueue}`,
      args: [names],
    });
    const described = (await handle.result()) as { name: string; errorType: string; message: string }[];

    // Attempts as the history records them: the attempt number of each activity's last start.
    const history = await handle.fetchHistory();
    const scheduled = new Map<string, string>();
    const attempts = new Map<string, number>();
    for (const event of history.events ?? []) {
      const id = String(event.eventId);
      const input = event.activityTaskScheduledEventAttributes?.input?.payloads?.[0];
      if (input) scheduled.set(id, defaultPayloadConverter.fromPayload<{ name: string }>(input).name);
      const started = event.activityTaskStartedEventAttributes;
      if (started)
        attempts.set(scheduled.get(String(started.scheduledEventId)) as string, started.attempt ?? 0);
    }

    const expected = { ...CASES, [POOL_CASE]: { errorType: 'StatisticConfigError', permanent: true } };
    const wrong: string[] = [];
    for (const [name, c] of Object.entries(expected)) {
      const want = c.permanent ? 1 : 3;
      if (attempts.get(name) !== want)
        wrong.push(`${name}: ${attempts.get(name)} attempt(s), expected ${want}`);
      const got = described.find((d) => d.name === name)?.errorType;
      if (got !== c.errorType) wrong.push(`${name}: failure type ${got}, expected ${c.errorType}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('the client rebuilds the error from a failed workflow: name, permanence and details', async () => {
    const failed = await temporal.client.workflow
      .execute('raiseOnce', {
        taskQueue: temporal.taskQueue,
        workflowId: `error-boundary-once/${temporal.taskQueue}`,
        args: ['PlannedQueryError'],
      })
      .then(
        () => assert.fail('the workflow should fail'),
        (error: unknown) => error,
      );
    const error = errorFromFailure(failed);
    assert.ok(error instanceof ContrailError);
    assert.equal(error.name, 'PlannedQueryError');
    assert.equal(error.permanent, true);
    assert.match(
      error.message,
      /metrics_x failed.*active_hours \(x\.toml: metrics\.active_hours \(line 3\)\)/,
    );
    assert.equal(error.details.table, 'metrics_x');
    assert.equal(error.details.warehouseMessage, 'Binder Error: no column');
  });
});
