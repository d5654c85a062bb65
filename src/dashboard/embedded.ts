import { existsSync } from 'node:fs';
import { duckDbSessions } from '../warehouse/duckdb-sessions.js';
import type { WarehouseSessions } from '../warehouse/sessions.js';
import { DashboardRequestError } from './errors.js';

/**
 * Sessions on the embedded DuckDB warehouse file: opened per answer and closed after it, so
 * previews, workers and `contrail sample` can write between two answers. The telemetry catalog
 * is not attached: the page reads result tables only. A missing file is reported, not created.
 */
export function embeddedSessions(path: string, options: { waitMs?: number } = {}): WarehouseSessions {
  return duckDbSessions({
    path,
    beforeOpen: () => {
      if (!existsSync(path)) {
        throw new DashboardRequestError(
          `no embedded warehouse at ${path} yet: run \`contrail preview\` (or \`npm run demo\`) first`,
          404,
        );
      }
    },
    ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
  });
}
