import { roundTripSql } from '../sql/plan/reads.js';
import type { ActivityDeps } from './deps.js';

export interface HealthReport {
  toolVersion: string;
  buildId: string;
  dialect: string;
  /**
   * Which warehouse answered, in words (`BigQuery project p at <endpoint>`, `DuckDB <file>`), as
   * the worker that ran the check is configured. Absent from a worker of a build before it.
   */
  warehouse?: string;
  /** Answer of a trivial warehouse query: proves a round trip, not just an open handle. */
  warehouseAnswer: number;
  checkedAt: string;
}

export function healthActivities(deps: ActivityDeps) {
  return {
    /** Round trip to the warehouse from a worker: what `contrail doctor` checks end to end. */
    async checkWarehouse(): Promise<HealthReport> {
      const warehouse = await deps.warehouse();
      const rows = await warehouse.query<{ answer: number }>(roundTripSql());
      return {
        toolVersion: deps.toolVersion.version,
        buildId: deps.toolVersion.buildId,
        dialect: warehouse.dialect,
        warehouse: deps.warehouseName,
        warehouseAnswer: Number(rows[0]?.answer),
        checkedAt: new Date().toISOString(),
      };
    },
  };
}
