import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DefaultFailureConverter, defaultPayloadConverter } from '@temporalio/common';
import { ContrailError, errorSubjects, outcomeOf, raisedAt, resultOf } from '../../src/errors.js';
import { StatisticConfigError } from '../../src/statistics/index.js';
import {
  errorFromFailure,
  failedTogether,
  queriesRunOf,
  raisedAtOf,
  storageRefusalOf,
  toTemporalFailure,
  withQueriesRun,
} from '../../src/temporal/failures.js';
import { bigQueryError } from '../../src/warehouse/bigquery-errors.js';
import { embeddedStorageError, WarehouseBusyError, WarehouseQueryError } from '../../src/warehouse/errors.js';

// What a worker thread's reply goes through: the structured clone of postMessage.
const acrossThreads = <T>(value: T): T => structuredClone(value);

test('an error sent across a thread boundary as an Outcome keeps its name, permanence and details', () => {
  const permanent = acrossThreads(
    outcomeOf(() => {
      throw new StatisticConfigError("unknown parameter 'num_sampels'");
    }),
  );
  assert.throws(
    () => resultOf(permanent),
    (e: unknown) =>
      e instanceof ContrailError &&
      e.name === 'StatisticConfigError' &&
      e.permanent &&
      e.message === "unknown parameter 'num_sampels'",
  );
  const transient = acrossThreads(
    outcomeOf(() => {
      throw new WarehouseQueryError({ warehouseMessage: 'IO Error: lock', permanent: false });
    }),
  );
  assert.throws(
    () => resultOf(transient),
    (e: unknown) =>
      e instanceof ContrailError &&
      e.name === 'WarehouseQueryError' &&
      !e.permanent &&
      e.details.warehouseMessage === 'IO Error: lock',
  );
  assert.equal(resultOf(acrossThreads(outcomeOf(() => 42))), 42);
});

test('a thrown error that is not contrail’s crosses as transient', () => {
  const outcome = acrossThreads(
    outcomeOf(() => {
      throw new RangeError('seed must be a non-negative integer');
    }),
  );
  assert.throws(
    () => resultOf(outcome),
    (e: unknown) => e instanceof ContrailError && e.name === 'RangeError' && !e.permanent,
  );
});

test('windows that failed on the config or data fail the analysis together, naming every subject', () => {
  const failure = (message: string, key: string, permanent = true) =>
    toTemporalFailure(new ContrailError(message, { permanent, details: { subjects: [{ key, message }] } }));
  const one = failure('scan of data source a failed', 'data_sources.a');
  assert.equal(failedTogether([one], 'window'), one);
  const both = errorFromFailure(
    failedTogether([one, failure('scan of data source b failed', 'data_sources.b')], 'window'),
  );
  assert.equal(both.name, 'StepsFailedError');
  assert.equal(both.permanent, true);
  assert.match(both.message, /2 windows failed:[\s\S]*data source a[\s\S]*data source b/);
  assert.deepEqual(
    errorSubjects(both.details).map((s) => s.key),
    ['data_sources.a', 'data_sources.b'],
  );
  // A transient failure stays what it is: the step is retried, not reported.
  const transient = failure('warehouse busy', 'data_sources.c', false);
  assert.equal(failedTogether([transient, one], 'window'), transient);
});

test('windows that failed on a read-only or full warehouse fail the analysis with that one failure, blaming no config', () => {
  const readOnly = embeddedStorageError({
    file: '/data/warehouse.duckdb',
    duckdbMessage: 'IO Error: Could not write file "/data/warehouse.duckdb.wal": Read-only file system',
  });
  assert.ok(readOnly !== null);
  const storage = toTemporalFailure(readOnly);
  const config = toTemporalFailure(
    new ContrailError('scan of data source a failed', {
      permanent: true,
      details: { subjects: [{ key: 'data_sources.a', line: 3 }] },
    }),
  );
  // Every window met the same read-only disk (permanent, as a config error is): said once.
  for (const failures of [
    [storage, toTemporalFailure(readOnly)],
    [config, storage],
  ]) {
    const error = errorFromFailure(failedTogether(failures, 'window'));
    assert.equal(error.name, 'WarehouseUnavailableError');
    assert.equal(error.message, readOnly.message);
    assert.deepEqual(errorSubjects(error.details), []);
  }
});

test("only the embedded warehouse's storage failing is a storage refusal: a busy file or BigQuery's 5xx or silence is not", () => {
  const refusal = (duckdbMessage: string) => {
    const error = embeddedStorageError({ file: '/data/warehouse.duckdb', duckdbMessage });
    assert.ok(error !== null);
    return toTemporalFailure(error);
  };
  const full = refusal('IO Error: Could not write file "/data/warehouse.duckdb": No space left on device');
  const readOnly = refusal(
    'IO Error: Could not write file "/data/warehouse.duckdb.wal": Read-only file system',
  );
  assert.equal(storageRefusalOf(full), 'full');
  assert.equal(storageRefusalOf(readOnly), 'read-only');
  // As a preview's date fails: the analysis adds the queries that ran, and the refusal stays.
  assert.equal(storageRefusalOf(withQueriesRun(readOnly, [])), 'read-only');
  for (const other of [
    new WarehouseBusyError('the warehouse file is locked by another process'),
    new WarehouseQueryError({ warehouseMessage: 'IO Error: Could not set lock on file', permanent: false }),
    bigQueryError({ code: 503, reason: 'backendError', message: 'Backend error' }),
    bigQueryError(new Error('getaddrinfo ENOTFOUND bigquery.googleapis.com')),
  ])
    assert.equal(storageRefusalOf(toTemporalFailure(other)), null, other.message);
});

test('a failed run carries the queries that ran before it: through a window failure, several, and the run', () => {
  const run = (table: string) => ({ table, elapsedMs: 5, bytesProcessed: null });
  const failure = (message: string, queriesRun: unknown[]) =>
    toTemporalFailure(
      new ContrailError(message, { permanent: true, details: { subjects: [{ query: 'q' }], queriesRun } }),
    );
  const a = failure('scan a failed', [run('scan_b_of_window_1')]);
  const b = failure('scan c failed', [run('scan_d_of_window_2')]);
  assert.deepEqual(
    queriesRunOf(failedTogether([a, b], 'window')).map((q) => q.table),
    ['scan_b_of_window_1', 'scan_d_of_window_2'],
  );
  // The run adds what its earlier steps ran; type, message, permanence and subjects stay.
  const carried = withQueriesRun(a, [run('enrollments'), run('scan_of_window_3')]);
  assert.deepEqual(
    queriesRunOf(carried).map((q) => q.table),
    ['enrollments', 'scan_of_window_3', 'scan_b_of_window_1'],
  );
  const error = errorFromFailure(carried);
  assert.equal(error.name, 'ContrailError');
  assert.equal(error.message, 'scan a failed');
  assert.equal(error.permanent, true);
  assert.deepEqual(errorSubjects(error.details), [{ query: 'q' }]);
  // Not an application failure (a cancellation, a timeout): it stays what it is.
  const cancelled = new Error('cancelled');
  assert.equal(withQueriesRun(cancelled, [run('x')]), cancelled);
  assert.deepEqual(queriesRunOf(new Error('no details')), []);
});

test("where an error was raised: the first frame of contrail's own source, from the project's root", () => {
  const stack = (...frames: string[]) =>
    ['ConfigError: invalid config (1 problem):', '  a.toml:1: k: m', ...frames].join('\n');
  // A checkout (or the CLI's bundle with its source maps): passing over other packages' frames.
  assert.deepEqual(
    raisedAt(
      stack(
        '    at Object.request (/home/me/contrail/node_modules/@google-cloud/bigquery/build/src/bigquery.js:10:5)',
        '    at async BigQueryWarehouse.writeRows (/home/me/src/contrail/src/warehouse/bigquery.ts:530:7)',
        '    at async recordLogs (/home/me/src/contrail/src/analysis/logs.ts:80:3)',
      ),
    ),
    { filename: 'src/warehouse/bigquery.ts', funcName: 'BigQueryWarehouse.writeRows' },
  );
  // The image's compiled dist/ is named by the source it was compiled from; a file URL is a path.
  assert.deepEqual(raisedAt(stack('    at planDay [as run] (file:///app/dist/analysis/plan-day.js:12:9)')), {
    filename: 'src/analysis/plan-day.ts',
    funcName: 'planDay',
  });
  // The installed package is contrail's; an anonymous function is known by its file alone.
  assert.deepEqual(
    raisedAt(
      stack(
        '    at /usr/lib/node_modules/contrail/src/config/resolve.ts:40:11',
        '    at new Promise (<anonymous>)',
      ),
    ),
    { filename: 'src/config/resolve.ts', funcName: null },
  );
  assert.deepEqual(raisedAt(stack('    at <anonymous> (C:\\work\\contrail\\src\\sql\\run.ts:3:1)')), {
    filename: 'src/sql/run.ts',
    funcName: null,
  });
  // Nothing of contrail's: Node's, another package's, a bundle without source maps, the workflows' bundle.
  for (const frame of [
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    '    at f (/app/node_modules/duckdb/src/index.ts:1:1)',
    '    at g (/home/me/contrail/node_modules/.cache/contrail/cli/src/client/program.mjs:9:9)',
    '    at h (/app/dist/workflow-bundle.js:1:100)',
  ])
    assert.equal(raisedAt(stack(frame)), null, frame);
  assert.equal(raisedAt(undefined), null);
  assert.equal(raisedAt(''), null);
});

test('a failure says where its error was raised, from the stack Temporal carries to the workflow, whatever its message says', () => {
  const converter = new DefaultFailureConverter();
  // As an activity's failure reaches the workflow: through the SDK's conversion both ways.
  const acrossTemporal = (error: unknown) =>
    converter.failureToError(
      converter.errorToFailure(toTemporalFailure(error), defaultPayloadConverter),
      defaultPayloadConverter,
    );
  let thrown: unknown;
  try {
    // The SDK cuts a stack at a line saying "unknown": a message saying it kept no frame.
    resultOf({
      ok: false,
      error: {
        name: 'ConfigError',
        message: "invalid config:\n  unknown key 'x'",
        permanent: true,
        details: {},
      },
    });
  } catch (error) {
    thrown = acrossTemporal(error);
  }
  // The error is made (its stack taken) where a failed outcome is revived.
  assert.deepEqual(raisedAtOf(thrown), { filename: 'src/errors.ts', funcName: 'reviveError' });
  assert.equal(errorFromFailure(thrown).message, "invalid config:\n  unknown key 'x'");
  assert.equal(raisedAtOf('not an error'), null);
});
