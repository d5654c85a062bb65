import type { DuckDBConnection } from '@duckdb/node-api';
import { DAY_MS } from '../dates.js';
import type { SqlDialect } from '../sql/dialect.js';
import { plainValueConverter } from './duckdb-values.js';
import type { TableLabels, TableRef } from './warehouse.js';

export const META_SCHEMA = 'contrail_meta';

/** A table as DuckDB names it: a dataset `a.b` is catalog `a`, schema `b`; a plain dataset is a schema of the main database. */
export interface ResolvedRef {
  ref: TableRef;
  catalog: string;
  schema: string;
  /** Fully qualified, quoted: "catalog"."schema"."table". */
  sql: string;
  schemaSql: string;
}

/**
 * Labels and expiry, which BigQuery keeps on tables and datasets, kept by the DuckDB warehouse
 * in a `contrail_meta` schema of the table's own catalog: DuckDB lets one transaction write to
 * one database only, and a table and its metadata must change together. Every method runs on
 * the connection of the job that calls it, inside that job's transaction when it has one.
 */
export class DuckDbMetadata {
  private readonly ready = new Set<string>();

  constructor(
    private readonly sql: SqlDialect,
    private readonly now: () => number,
  ) {}

  /** The quoted metadata schema of a catalog. */
  schema(catalog: string): string {
    return `${this.sql.identifier(catalog)}.${META_SCHEMA}`;
  }

  /** Catalogs whose metadata tables exist (every one a table was written to or read from). */
  catalogs(): Iterable<string> {
    return this.ready;
  }

  /**
   * Takes a catalog's metadata tables as there without creating them: a file opened read-only
   * cannot take a CREATE, even one that would change nothing (contrail creates them whenever it
   * opens a file to write, so any file it wrote has them).
   */
  assumeReady(catalog: string): void {
    this.ready.add(catalog);
  }

  async ensure(connection: DuckDBConnection, catalog: string): Promise<void> {
    if (this.ready.has(catalog)) return;
    await connection.run(`
      CREATE SCHEMA IF NOT EXISTS ${this.schema(catalog)};
      CREATE TABLE IF NOT EXISTS ${this.schema(catalog)}.tables (
        dataset VARCHAR NOT NULL, table_name VARCHAR NOT NULL,
        labels VARCHAR NOT NULL, expires_at_ms BIGINT);
      CREATE TABLE IF NOT EXISTS ${this.schema(catalog)}.datasets (
        dataset VARCHAR NOT NULL, expiration_days DOUBLE);`);
    this.ready.add(catalog);
  }

  /** When a new table of the dataset expires: the dataset's default expiry from now, if it has one. */
  async defaultExpiry(connection: DuckDBConnection, target: ResolvedRef): Promise<number | null> {
    await this.ensure(connection, target.catalog);
    const reader = await connection.runAndReadAll(
      `SELECT expiration_days FROM ${this.schema(target.catalog)}.datasets WHERE dataset = $1`,
      [target.ref.dataset],
    );
    const days = reader.getRowObjectsJS()[0]?.expiration_days;
    return typeof days === 'number' ? this.now() + days * DAY_MS : null;
  }

  async setDatasetExpiry(
    connection: DuckDBConnection,
    catalog: string,
    dataset: string,
    days: number,
  ): Promise<void> {
    const meta = this.schema(catalog);
    await connection.run(`DELETE FROM ${meta}.datasets WHERE dataset = $1`, [dataset]);
    await connection.run(`INSERT INTO ${meta}.datasets VALUES ($1, $2)`, [dataset, days]);
  }

  async write(
    connection: DuckDBConnection,
    target: ResolvedRef,
    labels: TableLabels,
    expiresAt: number | null,
  ): Promise<void> {
    await this.forget(connection, target);
    await connection.run(`INSERT INTO ${this.schema(target.catalog)}.tables VALUES ($1, $2, $3, $4)`, [
      target.ref.dataset,
      target.ref.table,
      JSON.stringify(labels),
      expiresAt === null ? null : BigInt(Math.round(expiresAt)),
    ]);
  }

  /** Merges `labels` into a table's labels, keeping its expiry. */
  async merge(connection: DuckDBConnection, target: ResolvedRef, labels: TableLabels): Promise<void> {
    const current = await this.read(connection, target);
    await this.write(connection, target, { ...current?.labels, ...labels }, current?.expiresAt ?? null);
  }

  async read(
    connection: DuckDBConnection,
    target: ResolvedRef,
  ): Promise<{ labels: TableLabels; expiresAt: number | null } | null> {
    await this.ensure(connection, target.catalog);
    const reader = await connection.runAndReadAll(
      `SELECT labels, expires_at_ms FROM ${this.schema(target.catalog)}.tables WHERE dataset = $1 AND table_name = $2`,
      [target.ref.dataset, target.ref.table],
    );
    const row = reader.convertRowObjects(plainValueConverter)[0];
    if (!row) return null;
    return {
      labels: JSON.parse(String(row.labels)) as TableLabels,
      expiresAt: row.expires_at_ms === null ? null : Number(row.expires_at_ms),
    };
  }

  /**
   * A table or view renamed in a swap keeps its labels; its expiry becomes the published
   * place's (the dataset default), not the staged table's.
   */
  async move(connection: DuckDBConnection, from: ResolvedRef, to: ResolvedRef): Promise<void> {
    const labels = (await this.read(connection, from))?.labels ?? {};
    await this.forget(connection, from);
    await this.write(connection, to, labels, await this.defaultExpiry(connection, to));
  }

  /** Removes a table's metadata row (the table is dropped, or about to be rewritten). */
  async forget(connection: DuckDBConnection, target: ResolvedRef): Promise<void> {
    await connection.run(
      `DELETE FROM ${this.schema(target.catalog)}.tables WHERE dataset = $1 AND table_name = $2`,
      [target.ref.dataset, target.ref.table],
    );
  }

  /** Tables of every known catalog whose expiry has passed. */
  async expired(connection: DuckDBConnection): Promise<TableRef[]> {
    const expired: TableRef[] = [];
    for (const catalog of this.ready) {
      const reader = await connection.runAndReadAll(
        `SELECT dataset, table_name FROM ${this.schema(catalog)}.tables WHERE expires_at_ms <= $1`,
        [BigInt(Math.round(this.now()))],
      );
      for (const row of reader.getRowObjectsJS()) {
        expired.push({ dataset: String(row.dataset), table: String(row.table_name) });
      }
    }
    return expired;
  }

  /** Labels and expiry of a row joined from `tables` (as `listTables` reads them). */
  static fromRow(row: Record<string, unknown>): { labels: TableLabels; expiresAt: number | null } {
    return {
      labels: row.labels === null ? {} : (JSON.parse(String(row.labels)) as TableLabels),
      expiresAt: row.expires_at_ms === null ? null : Number(row.expires_at_ms),
    };
  }
}
