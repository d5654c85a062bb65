/*
 * One class, the whole Warehouse contract on BigQuery: each method is a few BigQuery calls and
 * they share the job handling (start or find by deterministic id, poll, cancel), so splitting the
 * class would scatter one adapter over files that each mean nothing alone. Settings, errors and
 * cost live beside it (bigquery-settings.ts, bigquery-errors.ts, cost.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { BigQuery, type BigQueryOptions, type Job, type Table } from '@google-cloud/bigquery';
import { PassThroughClient } from 'google-auth-library';
import { DAY_MS } from '../dates.js';
import { SettingsError } from '../settings.js';
import type { SqlDialect } from '../sql/dialect.js';
import { bigqueryDialect } from '../sql/render/bigquery.js';
import {
  type BigQueryPlace,
  bigQueryError,
  isAlreadyExists,
  isNotFound,
  isTransientBigQueryError,
} from './bigquery-errors.js';
import {
  type BigQuerySettings,
  DEFAULT_REQUEST_TIMEOUT_MS,
  isEmulatorEndpoint,
} from './bigquery-settings.js';
import { withRequestTimeout } from './bigquery-timeout.js';
import { abortError, WarehouseQueryError } from './errors.js';
import { assertDataset, assertPlainName, assertTableName } from './identifiers.js';
import { assertLabels, lastUpdatedLabel } from './labels.js';
import { distinctByKey } from './rows.js';
import type * as W from './warehouse.js';

/**
 * The production warehouse: BigQuery through Google's client. Every statement is a job with an
 * id derived from the work (`jobKey`, destination and SQL), so a retried activity finds the job
 * its killed predecessor started and waits for it instead of paying for it twice. Jobs are
 * waited for by polling, so the caller's `onProgress` heartbeats between polls and its
 * AbortSignal cancels the job. Results go to destination tables with WRITE_TRUNCATE, which
 * BigQuery commits atomically.
 */
export interface BigQueryWarehouseOptions
  extends Pick<
    BigQuerySettings,
    'project' | 'sourceProject' | 'location' | 'apiEndpoint' | 'maximumBytesBilled'
  > {
  /**
   * How often a running job is polled (and onProgress called) once it has run a while; the first
   * polls come sooner (FIRST_POLL_MS, doubling). Default 1000 ms.
   */
  pollIntervalMs?: number;
  /** Waits between polls (tests: to see the waits without taking them). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** How long one HTTP request may take before it is no answer. Default 60 s (bigquery-settings.ts). */
  requestTimeoutMs?: number;
  /** Client options for tests (credentials stub, retries); production uses Application Default Credentials. */
  clientOptions?: BigQueryOptions;
  /** Clock for `last_updated` labels. */
  now?: () => number;
}

interface JobStatus {
  state?: string;
  errorResult?: { reason?: string; message?: string; location?: string } | null;
  errors?: { reason?: string; message?: string }[];
}

interface JobMetadata {
  status?: JobStatus;
  statistics?: {
    totalBytesProcessed?: string;
    query?: {
      totalBytesProcessed?: string;
      totalBytesBilled?: string;
      referencedTables?: { projectId?: string; datasetId?: string; tableId?: string }[];
    };
  };
  jobReference?: { jobId?: string; location?: string };
}

type QueryConfiguration = Record<string, unknown> & { query: string };

/**
 * The first wait between two polls of a job, doubling up to the poll interval: most of a
 * dashboard's queries and many of an analysis's end within a second, and polled only every
 * second each waited up to a second more than it ran.
 */
const FIRST_POLL_MS = 100;

// A failed job keeps its id: a retry of the same work takes the next of these suffixes.
const MAX_INCARNATIONS = 20;

const PARAMETER_TYPES: Record<W.ColumnType, string> = {
  STRING: 'STRING',
  FLOAT64: 'FLOAT64',
  INT64: 'INT64',
  BOOL: 'BOOL',
  DATE: 'DATE',
  TIMESTAMP: 'TIMESTAMP',
};

/** `contrail_<what>_<hash>`: valid job id characters only, and short enough (1024 max). */
export function deterministicJobId(parts: readonly string[], what: string): string {
  const hash = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
  return `contrail_${what.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100)}_${hash}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A row value as a BigQuery query parameter value (strings; NULL is an absent value). */
function parameterValue(value: unknown, type: W.ColumnType, where: string): { value?: string } {
  if (value === null || value === undefined) return {};
  switch (type) {
    case 'STRING':
      if (typeof value !== 'string') throw new TypeError(`${where}: expected a string, got ${typeof value}`);
      return { value };
    case 'FLOAT64': {
      if (typeof value !== 'number') throw new TypeError(`${where}: expected a number, got ${typeof value}`);
      if (Number.isNaN(value)) return { value: 'NaN' };
      if (!Number.isFinite(value)) return { value: value > 0 ? 'Infinity' : '-Infinity' };
      return { value: String(value) };
    }
    case 'INT64':
      if (!(typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value))))
        throw new TypeError(`${where}: expected a whole number, got ${String(value)}`);
      return { value: String(value) };
    case 'BOOL':
      if (typeof value !== 'boolean')
        throw new TypeError(`${where}: expected a boolean, got ${typeof value}`);
      return { value: String(value) };
    case 'DATE':
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value))
        throw new TypeError(`${where}: expected a date as YYYY-MM-DD, got ${String(value)}`);
      return { value };
    case 'TIMESTAMP': {
      const date = value instanceof Date ? value : new Date(String(value));
      if (Number.isNaN(date.getTime()))
        throw new TypeError(`${where}: expected a timestamp, got ${String(value)}`);
      return { value: date.toISOString() };
    }
  }
}

/** The client's value wrappers (BigQueryDate, BigQueryTimestamp, …) as plain JSON values. */
function plainValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plainValue);
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'object') {
    const wrapped = value as { value?: unknown; constructor?: { name?: string } };
    const name = wrapped.constructor?.name ?? '';
    if (name.startsWith('BigQuery') || name === 'Geography') {
      if (name === 'BigQueryInt') return Number(wrapped.value);
      return wrapped.value;
    }
    if (name === 'Big') return Number(String(value)); // NUMERIC
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainValue(v);
    return out;
  }
  return value;
}

export class BigQueryWarehouse implements W.Warehouse {
  readonly dialect = 'bigquery' as const;
  /** The SQL this warehouse runs: contrail's plans render through it. */
  readonly sqlDialect: SqlDialect;
  readonly client: BigQuery;
  private readonly pollIntervalMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => number;
  /** Datasets (`project:dataset`) known to be in the jobs' location: their location is asked once. */
  private readonly datasetsInLocation = new Set<string>();
  /**
   * The schema of each table this adapter last wrote, as BigQuery answered the write's label
   * patch: listing a table's rows needs its schema, and without it the client asks BigQuery for
   * the table first (a round trip per statistic-inputs table, read right after it is written).
   */
  private readonly writtenSchemas = new Map<string, unknown>();

  constructor(private readonly options: BigQueryWarehouseOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.sleep = options.sleep ?? sleep;
    this.now = options.now ?? Date.now;
    this.sqlDialect = bigqueryDialect({ project: options.project, sourceProject: options.sourceProject });
    this.client = new BigQuery({
      projectId: options.project,
      location: options.location,
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
      // An http:// endpoint is an emulator (Google serves BigQuery over https only): asked for
      // credentials, the client would read Application Default Credentials and, finding none,
      // probe the cloud metadata server, a request that leaves the machine (and, on a machine
      // with credentials, send their token in clear). It gets none.
      ...(options.apiEndpoint && isEmulatorEndpoint(options.apiEndpoint)
        ? { authClient: new PassThroughClient() }
        : {}),
      // Retrying is contrail's (each warehouse call, then the activity): the client's own retries
      // under those multiplied every failure, and hid an unreachable BigQuery for 15 s a call.
      retryOptions: { autoRetry: false },
      ...options.clientOptions,
    });
    // Every request of the client, job polls and result pages included, goes through here.
    const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const request = this.client.makeAuthenticatedRequest;
    const bounded = (...args: unknown[]): unknown =>
      withRequestTimeout(timeoutMs, () => (request as (...a: unknown[]) => unknown)(...args));
    this.client.makeAuthenticatedRequest = Object.assign(bounded, request);
  }

  /** BigQuery's error as contrail's, naming the setting when the message is about one. */
  private fail(error: unknown, destination: W.TableRef | null = null) {
    return bigQueryError(error, destination, this.place);
  }

  private get place(): BigQueryPlace {
    const { project, sourceProject, location, apiEndpoint } = this.options;
    return { project, sourceProject, location, endpoint: apiEndpoint };
  }

  private table(ref: W.TableRef): Table {
    const dataset = assertDataset(ref.dataset);
    const table = assertTableName(ref.table);
    const dot = dataset.indexOf('.');
    return dot === -1
      ? this.client.dataset(dataset).table(table)
      : this.client.dataset(dataset.slice(dot + 1), { projectId: dataset.slice(0, dot) }).table(table);
  }

  private tableReference(ref: W.TableRef): { projectId: string; datasetId: string; tableId: string } {
    const dataset = assertDataset(ref.dataset);
    const dot = dataset.indexOf('.');
    return {
      projectId: dot === -1 ? this.options.project : dataset.slice(0, dot),
      datasetId: dot === -1 ? dataset : dataset.slice(dot + 1),
      tableId: assertTableName(ref.table),
    };
  }

  /** When a table written now with `days` of expiry expires; undefined: as the dataset decides. */
  private expiryOf(days: number | null | undefined): number | undefined {
    if (days === null || days === undefined) return undefined;
    if (!(Number.isFinite(days) && days > 0)) {
      throw new TypeError(`expirationDays must be a positive number of days, got ${days}`);
    }
    return this.now() + days * DAY_MS;
  }

  /** The expiry a new table of the dataset gets: its default table expiration from now, or none. */
  private async defaultExpiry(ref: W.TableRef): Promise<number | null> {
    const target = this.tableReference(ref);
    try {
      const [metadata] = await this.client
        .dataset(target.datasetId, { projectId: target.projectId })
        .getMetadata();
      const ms = (metadata as { defaultTableExpirationMs?: string }).defaultTableExpirationMs;
      return ms === undefined ? null : this.now() + Number(ms);
    } catch (error) {
      throw this.fail(error, ref);
    }
  }

  /**
   * An append or merge target: created with `columns` when missing, and given the columns an
   * older version's table lacks (rows of either can then be written).
   */
  private async ensureColumns(
    ref: W.TableRef,
    columns: W.WriteRowsOptions['columns'],
    progress: W.QueryProgress,
  ): Promise<boolean> {
    const metadata = await this.tableMetadata(ref);
    const fq = this.sqlDialect.table(ref);
    const typed = (c: { name: string; type: W.ColumnType }) => `\`${c.name}\` ${PARAMETER_TYPES[c.type]}`;
    if (metadata === null) {
      await this.execute(`CREATE TABLE IF NOT EXISTS ${fq} (${columns.map(typed).join(', ')})`, progress);
      return false;
    }
    const present = new Set(
      ((metadata.schema as { fields?: { name: string }[] } | undefined)?.fields ?? []).map((f) => f.name),
    );
    const missing = columns.filter((c) => !present.has(c.name));
    if (missing.length > 0) {
      await this.execute(
        `ALTER TABLE ${fq} ${missing.map((c) => `ADD COLUMN IF NOT EXISTS ${typed(c)}`).join(', ')}`,
        progress,
      );
    }
    return true;
  }

  private queryConfiguration(sql: string, extra: Record<string, unknown> = {}): QueryConfiguration {
    return {
      query: sql,
      useLegacySql: false,
      ...(this.options.maximumBytesBilled !== null
        ? { maximumBytesBilled: String(this.options.maximumBytesBilled) }
        : {}),
      ...extra,
    };
  }

  /**
   * Starts the job with this id, or finds it: a 409 means this work already has a job (a
   * retry after the worker died). A finished job that failed transiently (or was cancelled)
   * cannot be run again under its id, so the next incarnation of the id is tried.
   */
  private async startOrFind(
    baseId: string,
    configuration: Record<string, unknown>,
    destination: W.TableRef | null,
  ): Promise<Job> {
    for (let incarnation = 0; incarnation < MAX_INCARNATIONS; incarnation++) {
      const jobId = incarnation === 0 ? baseId : `${baseId}_r${incarnation}`;
      let job: Job;
      try {
        [job] = await this.client.createJob({ jobId, location: this.options.location, configuration });
        return job;
      } catch (error) {
        if (!isAlreadyExists(error)) throw this.fail(error, destination);
        job = this.client.job(jobId, { location: this.options.location });
      }
      const metadata = await this.metadata(job, destination);
      if (metadata.status?.state !== 'DONE') return job;
      const failure = metadata.status.errorResult;
      if (!failure) return job;
      if (
        !isTransientBigQueryError({
          ...(failure.reason ? { reason: failure.reason } : {}),
          message: failure.message ?? '',
        })
      ) {
        throw this.fail(failure, destination);
      }
    }
    throw new WarehouseQueryError({
      warehouseMessage: `BigQuery job ${baseId} failed ${MAX_INCARNATIONS} times`,
      destination,
      permanent: true,
    });
  }

  private async metadata(job: Job, destination: W.TableRef | null): Promise<JobMetadata> {
    try {
      const [metadata] = await job.getMetadata();
      return metadata as JobMetadata;
    } catch (error) {
      throw this.fail(error, destination);
    }
  }

  /**
   * Polls the job until it is done: onProgress on every poll (activities heartbeat from it),
   * and an abort cancels the job in BigQuery before rejecting with an AbortError.
   */
  private async wait(
    job: Job,
    progress: W.QueryProgress,
    destination: W.TableRef | null,
  ): Promise<JobMetadata> {
    const started = Date.now();
    const { signal, onProgress } = progress;
    let polls = 0;
    for (;;) {
      if (signal?.aborted) {
        await job.cancel().catch(() => undefined);
        throw abortError(signal.reason);
      }
      const metadata = await this.metadata(job, destination);
      if (metadata.status?.state === 'DONE') {
        if (metadata.status.errorResult) throw this.fail(metadata.status.errorResult, destination);
        return metadata;
      }
      onProgress?.({
        elapsedMs: Date.now() - started,
        detail: `job ${job.id} ${metadata.status?.state ?? ''}`.trim(),
      });
      await this.sleep(Math.min(this.pollIntervalMs, FIRST_POLL_MS * 2 ** polls++), signal);
    }
  }

  /** Runs one job to completion: id from the work, started or found, polled until done. */
  private async runJob(
    what: string,
    configuration: Record<string, unknown>,
    progress: W.QueryProgress,
    destination: W.TableRef | null,
    identity: readonly string[],
  ): Promise<{ job: Job; metadata: JobMetadata }> {
    if (progress.signal?.aborted) throw abortError(progress.signal.reason);
    const baseId =
      progress.jobKey === undefined
        ? `contrail_${what.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100)}_${randomUUID().replaceAll('-', '')}`
        : deterministicJobId([progress.jobKey, ...identity], what);
    const job = await this.startOrFind(baseId, configuration, destination);
    const metadata = await this.wait(job, progress, destination);
    return { job, metadata };
  }

  /**
   * Labels and description after a write. A replaced table carries exactly the labels given:
   * a patch merges labels, so keys of the replaced table's labels that the answer still shows
   * are removed by a second patch with null values (none on a new table, nor when a rerun
   * writes the same keys: then one request, not a read and a patch); an appended one merges.
   */
  private async finishTable(
    ref: W.TableRef,
    labels: W.TableLabels,
    description: string | undefined,
    replaced: boolean,
    /** Epoch ms the table expires at (null: never); undefined leaves its expiry alone. */
    expiresAt?: number | null,
  ): Promise<{ rows: number }> {
    const table = this.table(ref);
    try {
      const patch = {
        labels,
        ...(description !== undefined ? { description } : {}),
        // BigQuery removes a table's own expiry patched to null; the client's type does not know that.
        ...(expiresAt !== undefined
          ? { expirationTime: (expiresAt === null ? null : String(Math.round(expiresAt))) as string }
          : {}),
      };
      let [metadata] = await table.setMetadata(patch);
      const stale = replaced
        ? Object.keys((metadata as { labels?: W.TableLabels }).labels ?? {}).filter((key) => !(key in labels))
        : [];
      if (stale.length > 0) {
        // BigQuery removes a label patched to null; the client's type does not know that.
        const removed = Object.fromEntries(stale.map((key) => [key, null])) as unknown as W.TableLabels;
        [metadata] = await table.setMetadata({ labels: removed });
      }
      this.rememberSchema(ref, (metadata as { schema?: unknown }).schema);
      return { rows: Number((metadata as { numRows?: string }).numRows ?? 0) };
    } catch (error) {
      throw this.fail(error, ref);
    }
  }

  async runToTable(options: W.RunToTableOptions): Promise<W.RunToTableResult> {
    const labels = assertLabels({ ...options.labels, last_updated: lastUpdatedLabel(this.now()) });
    const started = Date.now();
    this.rememberSchema(options.destination, undefined);
    const destinationTable = this.tableReference(options.destination);
    const writeDisposition = options.replace === false ? 'WRITE_EMPTY' : 'WRITE_TRUNCATE';
    const { metadata } = await this.runJob(
      options.destination.table,
      {
        query: this.queryConfiguration(options.sql, {
          destinationTable,
          writeDisposition,
          createDisposition: 'CREATE_IF_NEEDED',
        }),
        labels: { contrail: 'true' },
      },
      options,
      options.destination,
      ['runToTable', JSON.stringify(destinationTable), writeDisposition, options.sql],
    );
    const { rows } = await this.finishTable(
      options.destination,
      labels,
      options.description,
      true,
      this.expiryOf(options.expirationDays),
    );
    const bytes = metadata.statistics?.query?.totalBytesProcessed ?? metadata.statistics?.totalBytesProcessed;
    // What the job was billed, minimums applied: what it cost, where the bytes scanned are not.
    const billed = metadata.statistics?.query?.totalBytesBilled;
    return {
      destination: options.destination,
      rows,
      bytesProcessed: bytes === undefined ? null : Number(bytes),
      bytesBilled: billed === undefined ? null : Number(billed),
      elapsedMs: Date.now() - started,
    };
  }

  /**
   * Rows from the process become a table through one query over an array parameter: atomic
   * like any query job (WRITE_TRUNCATE replaces, WRITE_APPEND appends), typed by the
   * parameter's type even when there are no rows, and values never enter the SQL text.
   */
  async writeRows(options: W.WriteRowsOptions): Promise<{ destination: W.TableRef; rows: number }> {
    const labels = assertLabels({ ...options.labels, last_updated: lastUpdatedLabel(this.now()) });
    if (options.columns.length === 0) throw new TypeError('writeRows: columns must name at least one column');
    this.rememberSchema(options.destination, undefined);
    const names = new Set<string>();
    for (const column of options.columns) {
      assertPlainName(column.name);
      if (names.has(column.name)) throw new TypeError(`writeRows: column ${column.name} is listed twice`);
      if (!(column.type in PARAMETER_TYPES)) {
        throw new TypeError(
          `writeRows: column ${column.name} has type ${JSON.stringify(column.type)}; valid: ${Object.keys(PARAMETER_TYPES).join(', ')}`,
        );
      }
      names.add(column.name);
    }
    const mode = options.mode ?? 'replace';
    const rows = mode === 'merge' ? distinctByKey(options) : options.rows;
    const arrayValues = rows.map((row, index) => {
      for (const key of Object.keys(row)) {
        if (!names.has(key))
          throw new TypeError(`writeRows: row ${index} has unknown column ${JSON.stringify(key)}`);
      }
      const structValues: Record<string, { value?: string }> = {};
      for (const column of options.columns) {
        structValues[column.name] = parameterValue(
          row[column.name],
          column.type,
          `writeRows: row ${index}, column ${column.name}`,
        );
      }
      return { structValues };
    });
    const parameter = {
      name: 'rows',
      parameterType: {
        type: 'ARRAY',
        arrayType: {
          type: 'STRUCT',
          structTypes: options.columns.map((c) => ({
            name: c.name,
            type: { type: PARAMETER_TYPES[c.type] },
          })),
        },
      },
      parameterValue: { arrayValues },
    };
    const columns = options.columns.map((c) => `contrail_row.\`${c.name}\``).join(', ');
    const sql = `SELECT ${columns} FROM UNNEST(@rows) AS contrail_row`;
    const destinationTable = this.tableReference(options.destination);
    const progress: W.QueryProgress = options.jobKey === undefined ? {} : { jobKey: options.jobKey };
    const identity = ['writeRows', JSON.stringify(destinationTable), mode, JSON.stringify(parameter)];
    const existed =
      mode === 'replace' ? true : await this.ensureColumns(options.destination, options.columns, progress);
    if (mode === 'merge') {
      // Rows whose key the table already holds are left out (merging twice adds nothing), but
      // for the columns they refresh.
      const key = `\`${options.key as string}\``;
      const names = options.columns.map((c) => `\`${c.name}\``).join(', ');
      const refresh = options.refresh ?? [];
      const matched =
        refresh.length > 0
          ? `WHEN MATCHED THEN UPDATE SET ${refresh.map((c) => `t.\`${c}\` = s.\`${c}\``).join(', ')}\n             `
          : '';
      await this.runJob(
        options.destination.table,
        {
          query: this.queryConfiguration(
            `MERGE ${this.sqlDialect.table(options.destination)} AS t USING (${sql}) AS s ON t.${key} = s.${key}
             ${matched}WHEN NOT MATCHED THEN INSERT (${names}) VALUES (${options.columns.map((c) => `s.\`${c.name}\``).join(', ')})`,
            { parameterMode: 'NAMED', queryParameters: [parameter] },
          ),
          labels: { contrail: 'true' },
        },
        progress,
        options.destination,
        identity,
      );
    } else {
      await this.runJob(
        options.destination.table,
        {
          query: this.queryConfiguration(sql, {
            destinationTable,
            writeDisposition: mode === 'replace' ? 'WRITE_TRUNCATE' : 'WRITE_APPEND',
            createDisposition: 'CREATE_IF_NEEDED',
            parameterMode: 'NAMED',
            queryParameters: [parameter],
          }),
          labels: { contrail: 'true' },
        },
        progress,
        options.destination,
        identity,
      );
    }
    await this.finishTable(
      options.destination,
      labels,
      options.description,
      mode === 'replace',
      mode === 'replace' || !existed ? this.expiryOf(options.expirationDays) : undefined,
    );
    return { destination: options.destination, rows: rows.length };
  }

  async query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    options: W.QueryProgress = {},
  ): Promise<Row[]> {
    const { job } = await this.runJob('query', { query: this.queryConfiguration(sql) }, options, null, [
      'query',
      sql,
    ]);
    try {
      // autoPaginate reads every page; the result is small by contract.
      const [rows] = await job.getQueryResults({ autoPaginate: true });
      return rows.map((row) => plainValue(row) as Row);
    } catch (error) {
      throw this.fail(error);
    }
  }

  async readRows<Row extends Record<string, unknown> = Record<string, unknown>>(
    ref: W.TableRef,
    columns?: readonly string[],
    options: W.QueryProgress = {},
  ): Promise<Row[]> {
    if (options.signal?.aborted) throw abortError(options.signal.reason);
    try {
      const table = this.table(ref);
      const schema = this.writtenSchemas.get(this.schemaKey(ref));
      if (schema !== undefined) table.metadata = { ...table.metadata, schema };
      const [rows] = await table.getRows({
        autoPaginate: true,
        ...(columns === undefined ? {} : { selectedFields: columns.join(',') }),
      });
      return rows.map((row) => plainValue(row) as Row);
    } catch (error) {
      throw this.fail(error, ref);
    }
  }

  async execute(sql: string, options: W.QueryProgress = {}): Promise<void> {
    // A statement may change any table's columns.
    this.writtenSchemas.clear();
    await this.runJob('statement', { query: this.queryConfiguration(sql) }, options, null, ['execute', sql]);
  }

  /** Bytes the query would scan (BigQuery's dry run: validated, planned, not run, free). */
  async dryRun(sql: string): Promise<W.DryRunResult> {
    try {
      const [job] = await this.client.createJob({
        location: this.options.location,
        configuration: { query: this.queryConfiguration(sql), dryRun: true },
      });
      const metadata = job.metadata as JobMetadata;
      const bytes =
        metadata.statistics?.totalBytesProcessed ?? metadata.statistics?.query?.totalBytesProcessed;
      // A dry run's totalBytesBilled is 0 (nothing ran): what a run would be billed follows from
      // the bytes and the tables it references (billedBytes).
      const tables = metadata.statistics?.query?.referencedTables;
      return {
        bytesProcessed: bytes === undefined ? null : Number(bytes),
        method: 'dry_run',
        ...(tables === undefined
          ? {}
          : { referencedTables: tables.map((t) => `${t.projectId}.${t.datasetId}.${t.tableId}`) }),
      };
    } catch (error) {
      throw this.fail(error);
    }
  }

  private schemaKey(ref: W.TableRef): string {
    const { projectId, datasetId, tableId } = this.tableReference(ref);
    return `${projectId}.${datasetId}.${tableId}`;
  }

  /**
   * Keeps the schema of a table just written (the newest few hundred: a worker writes many), or
   * forgets it (undefined) before anything else changes the table.
   */
  private rememberSchema(ref: W.TableRef, schema: unknown): void {
    const key = this.schemaKey(ref);
    this.writtenSchemas.delete(key);
    if (schema === undefined) return;
    this.writtenSchemas.set(key, schema);
    if (this.writtenSchemas.size > 500) {
      const oldest = this.writtenSchemas.keys().next().value;
      if (oldest !== undefined) this.writtenSchemas.delete(oldest);
    }
  }

  private async tableMetadata(ref: W.TableRef): Promise<Record<string, unknown> | null> {
    try {
      const [metadata] = await this.table(ref).getMetadata();
      return metadata as Record<string, unknown>;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.fail(error, ref);
    }
  }

  async tableExists(ref: W.TableRef): Promise<boolean> {
    return (await this.tableMetadata(ref)) !== null;
  }

  async getTable(ref: W.TableRef): Promise<W.TableInfo | null> {
    const metadata = await this.tableMetadata(ref);
    if (metadata === null) return null;
    return {
      ref,
      labels: (metadata.labels as W.TableLabels | undefined) ?? {},
      expiresAt: metadata.expirationTime === undefined ? null : Number(metadata.expirationTime),
    };
  }

  async tableColumns(ref: W.TableRef): Promise<W.TableColumn[] | null> {
    const metadata = await this.tableMetadata(ref);
    if (metadata === null) return null;
    const fields = (metadata.schema as { fields?: SchemaField[] } | undefined)?.fields ?? [];
    return fields.map((f) => ({ name: f.name, type: sqlType(f) }));
  }

  /** Merges `labels` into the table's labels (BigQuery's patch); the table must exist. */
  async setLabels(ref: W.TableRef, labels: W.TableLabels): Promise<void> {
    assertLabels(labels);
    try {
      await this.table(ref).setMetadata({ labels });
    } catch (error) {
      if (isNotFound(error)) {
        throw new WarehouseQueryError({
          warehouseMessage: `cannot label ${ref.dataset}.${ref.table}: no such table`,
          destination: ref,
          permanent: true,
          cause: error,
        });
      }
      throw this.fail(error, ref);
    }
  }

  /**
   * Creates the dataset in the configured location if missing; `expirationDays` becomes its
   * default table expiration (set again on an existing dataset, as DuckDB's adapter does).
   */
  async createDataset(dataset: string, options: { expirationDays?: number } = {}): Promise<W.DatasetCreated> {
    const target = this.tableReference({ dataset, table: 'dataset' });
    const days = options.expirationDays;
    if (days !== undefined && !(Number.isFinite(days) && days > 0)) {
      throw new TypeError(`createDataset: expirationDays must be a positive number of days, got ${days}`);
    }
    const expiry = days === undefined ? {} : { defaultTableExpirationMs: String(Math.round(days * DAY_MS)) };
    const handle = this.client.dataset(target.datasetId, { projectId: target.projectId });
    const key = `${target.projectId}:${target.datasetId}`;
    try {
      await handle.create({ location: this.options.location, ...expiry });
      this.datasetsInLocation.add(key);
      return { created: true, expires: days !== undefined };
    } catch (error) {
      if (!isAlreadyExists(error)) throw this.fail(error);
    }
    if (days === undefined && this.datasetsInLocation.has(key)) return { created: false, expires: false };
    let metadata: { defaultTableExpirationMs?: string | null; location?: string };
    try {
      [metadata] = await handle.getMetadata();
    } catch (error) {
      throw this.fail(error);
    }
    this.assertLocation(key, metadata.location);
    this.datasetsInLocation.add(key);
    if (days === undefined) return { created: false, expires: false };
    const ms = metadata.defaultTableExpirationMs;
    return { created: false, expires: ms !== undefined && ms !== null && Number(ms) > 0 };
  }

  /**
   * A job runs in one location and cannot write to a dataset in another: BigQuery would fail
   * every query of the run with "Not found: Dataset … was not found in location …", which names
   * neither the setting nor where the dataset is. Said once, before any job, with both remedies.
   */
  private assertLocation(dataset: string, location: string | undefined): void {
    const jobs = this.options.location;
    if (location === undefined || location.toLowerCase() === jobs.toLowerCase()) return;
    throw new SettingsError(
      `BigQuery dataset ${dataset} is in location ${location}, but contrail runs its jobs in ${jobs} ` +
        `(CONTRAIL_BIGQUERY_LOCATION), and a job cannot write to a dataset in another location: ` +
        `set CONTRAIL_BIGQUERY_LOCATION=${location}, or choose a dataset in ${jobs} ` +
        '(--dataset_id or CONTRAIL_BIGQUERY_DATASET)',
    );
  }

  /** The names of the datasets of contrail's project (where it writes), in name order. */
  async listDatasets(): Promise<string[]> {
    try {
      const [datasets] = await this.client.getDatasets({ autoPaginate: true });
      return datasets.map((d) => d.id as string).sort();
    } catch (error) {
      throw this.fail(error);
    }
  }

  async listTables(dataset: string, prefix = ''): Promise<W.TableInfo[]> {
    const target = this.tableReference({ dataset, table: 'dataset' });
    try {
      const [tables] = await this.client
        .dataset(target.datasetId, { projectId: target.projectId })
        .getTables({ autoPaginate: true });
      return tables
        .filter((t) => (t.id ?? '').startsWith(prefix))
        .map((t) => {
          const metadata = (t.metadata ?? {}) as { labels?: W.TableLabels; expirationTime?: string };
          return {
            ref: { dataset, table: t.id as string },
            labels: metadata.labels ?? {},
            expiresAt: metadata.expirationTime === undefined ? null : Number(metadata.expirationTime),
          };
        })
        .sort((a, b) => (a.ref.table < b.ref.table ? -1 : a.ref.table > b.ref.table ? 1 : 0));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw this.fail(error);
    }
  }

  async dropTable(ref: W.TableRef): Promise<void> {
    this.rememberSchema(ref, undefined);
    try {
      await this.table(ref).delete({ ignoreNotFound: true });
    } catch (error) {
      if (isNotFound(error)) return;
      throw this.fail(error, ref);
    }
  }
  /** BigQuery deletes a table at its expiration time itself: nothing is left to drop. */
  async dropExpired(): Promise<W.TableRef[]> {
    return [];
  }

  /**
   * One copy job per table (WRITE_TRUNCATE: each table replaced atomically), every copy before
   * any staged table is deleted, so the published tables change within seconds of each other and
   * a retry after a failure part way copies what is still staged. A copied table carries its
   * source's labels and the dataset's default expiry, as a table written there would.
   */
  async swapTables(
    moves: W.TableMove[],
    options: W.QueryProgress & { drop?: W.TableRef[] } = {},
  ): Promise<void> {
    for (const { from, to } of moves) {
      if (from.dataset !== to.dataset) {
        throw new TypeError(
          `swapTables: ${from.dataset}.${from.table} and ${to.dataset}.${to.table} are in different datasets`,
        );
      }
    }
    for (const { from, to } of moves) {
      this.rememberSchema(from, undefined);
      this.rememberSchema(to, undefined);
    }
    const copied: {
      from: W.TableRef;
      to: W.TableRef;
      labels: W.TableLabels;
      description: string | undefined;
    }[] = [];
    for (const { from, to } of moves) {
      const source = await this.tableMetadata(from);
      if (source === null) continue; // moved by an earlier attempt of this swap
      const sourceTables = [this.tableReference(from)];
      const destinationTable = this.tableReference(to);
      await this.runJob(
        `swap_${to.table}`,
        {
          copy: {
            sourceTables,
            destinationTable,
            writeDisposition: 'WRITE_TRUNCATE',
            createDisposition: 'CREATE_IF_NEEDED',
          },
          labels: { contrail: 'true' },
        },
        options,
        to,
        ['swapTables', JSON.stringify(sourceTables), JSON.stringify(destinationTable)],
      );
      copied.push({
        from,
        to,
        labels: (source.labels as W.TableLabels | undefined) ?? {},
        description: source.description as string | undefined,
      });
    }
    for (const { to, labels, description } of copied) {
      await this.finishTable(to, labels, description, true, await this.defaultExpiry(to));
    }
    for (const { from } of copied) await this.dropTable(from);
    for (const ref of options.drop ?? []) await this.dropTable(ref);
  }

  async close(): Promise<void> {
    // The client holds no connections that need closing.
  }
}

/** A field of a table's schema as the tables API returns it. */
interface SchemaField {
  name: string;
  type: string;
  mode?: string;
  fields?: SchemaField[];
}

/** The API's legacy type names as GoogleSQL spells them. */
const LEGACY_TYPES: Record<string, string> = {
  INTEGER: 'INT64',
  FLOAT: 'FLOAT64',
  BOOLEAN: 'BOOL',
  RECORD: 'STRUCT',
};

/** A schema field's type in GoogleSQL (`ARRAY<STRUCT<a INT64>>` for a repeated record). */
function sqlType(field: SchemaField): string {
  const name = LEGACY_TYPES[field.type] ?? field.type;
  const base =
    name === 'STRUCT'
      ? `STRUCT<${(field.fields ?? []).map((f) => `\`${f.name}\` ${sqlType(f)}`).join(', ')}>`
      : name;
  return field.mode === 'REPEATED' ? `ARRAY<${base}>` : base;
}
