import { existsSync } from 'node:fs';
import { openDuckDbWarehouse } from '../warehouse/duckdb.js';
import { DashboardRequestError } from './errors.js';
import { perAnswerSessions, type WarehouseSessions } from './sessions.js';

/** DuckDB's answer when another process holds the database file. */
const LOCKED = /Could not set lock|Conflicting lock/i;

/**
 * Sessions on the embedded DuckDB warehouse file: opened per answer and closed after it, so
 * previews, workers and `contrail sample` can write between two answers. The telemetry catalog
 * is not attached: the page reads result tables only. A missing file is reported, not created.
 */
export function embeddedSessions(path: string, options: { waitMs?: number } = {}): WarehouseSessions {
  return perAnswerSessions({
    open: async () => {
      if (!existsSync(path)) {
        throw new DashboardRequestError(
          `no embedded warehouse at ${path} yet: run \`contrail preview\` (or \`npm run demo\`) first`,
          404,
        );
      }
      return openDuckDbWarehouse({ path });
    },
    // DuckDB refuses the open itself (a plain Error) before the adapter can wrap anything.
    isBusy: (error) => error instanceof Error && LOCKED.test(error.message),
    describe: `the embedded warehouse ${path}`,
    ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
  });
}
