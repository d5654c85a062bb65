import type { SqlDialect } from '../sql/dialect.js';
import type * as W from './warehouse.js';

/** One call of a Warehouse method, as something wrapped around the calls sees it. */
export interface WarehouseCall {
  method: Exclude<keyof W.Warehouse, 'dialect' | 'sqlDialect' | 'close'>;
  /** The table the call writes or reads, when it names one. */
  table: W.TableRef | null;
  progress: W.QueryProgress;
}

/** Runs one call: `run` does it on the warehouse `around` chooses. */
export type AroundCall = <T>(call: WarehouseCall, run: (warehouse: W.Warehouse) => Promise<T>) => Promise<T>;

/**
 * A Warehouse whose every call goes through `around`: the one place sessions (open the file
 * per job), retries of transient failures and injected faults are put around the adapters,
 * without the adapters or the analysis knowing.
 */
export class WrappedWarehouse implements W.Warehouse {
  constructor(
    readonly dialect: W.Dialect,
    readonly sqlDialect: SqlDialect,
    private readonly around: AroundCall,
    private readonly onClose: () => Promise<void>,
  ) {}

  runToTable(options: W.RunToTableOptions): Promise<W.RunToTableResult> {
    return this.around({ method: 'runToTable', table: options.destination, progress: options }, (w) =>
      w.runToTable(options),
    );
  }
  writeRows(options: W.WriteRowsOptions): Promise<{ destination: W.TableRef; rows: number }> {
    return this.around({ method: 'writeRows', table: options.destination, progress: {} }, (w) =>
      w.writeRows(options),
    );
  }
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    options: W.QueryProgress = {},
  ): Promise<Row[]> {
    return this.around({ method: 'query', table: null, progress: options }, (w) =>
      w.query<Row>(sql, options),
    );
  }
  readRows<Row extends Record<string, unknown> = Record<string, unknown>>(
    ref: W.TableRef,
    columns?: readonly string[],
    options: W.QueryProgress = {},
  ): Promise<Row[]> {
    return this.around({ method: 'readRows', table: ref, progress: options }, (w) =>
      w.readRows<Row>(ref, columns, options),
    );
  }

  execute(sql: string, options: W.QueryProgress = {}): Promise<void> {
    return this.around({ method: 'execute', table: null, progress: options }, (w) => w.execute(sql, options));
  }
  dryRun(sql: string): Promise<W.DryRunResult> {
    return this.around({ method: 'dryRun', table: null, progress: {} }, (w) => w.dryRun(sql));
  }
  tableExists(ref: W.TableRef): Promise<boolean> {
    return this.around({ method: 'tableExists', table: ref, progress: {} }, (w) => w.tableExists(ref));
  }
  getTable(ref: W.TableRef): Promise<W.TableInfo | null> {
    return this.around({ method: 'getTable', table: ref, progress: {} }, (w) => w.getTable(ref));
  }
  tableColumns(ref: W.TableRef): Promise<W.TableColumn[] | null> {
    return this.around({ method: 'tableColumns', table: ref, progress: {} }, (w) => w.tableColumns(ref));
  }
  setLabels(ref: W.TableRef, labels: W.TableLabels): Promise<void> {
    return this.around({ method: 'setLabels', table: ref, progress: {} }, (w) => w.setLabels(ref, labels));
  }
  createDataset(dataset: string, options?: { expirationDays?: number }): Promise<W.DatasetCreated> {
    return this.around({ method: 'createDataset', table: null, progress: {} }, (w) =>
      w.createDataset(dataset, options),
    );
  }
  listTables(dataset: string, prefix?: string): Promise<W.TableInfo[]> {
    return this.around({ method: 'listTables', table: null, progress: {} }, (w) =>
      w.listTables(dataset, prefix),
    );
  }
  dropTable(ref: W.TableRef): Promise<void> {
    return this.around({ method: 'dropTable', table: ref, progress: {} }, (w) => w.dropTable(ref));
  }
  dropExpired(): Promise<W.TableRef[]> {
    return this.around({ method: 'dropExpired', table: null, progress: {} }, (w) => w.dropExpired());
  }

  swapTables(moves: W.TableMove[], options: W.QueryProgress & { drop?: W.TableRef[] } = {}): Promise<void> {
    return this.around({ method: 'swapTables', table: moves[0]?.to ?? null, progress: options }, (w) =>
      w.swapTables(moves, options),
    );
  }
  close(): Promise<void> {
    return this.onClose();
  }
}
