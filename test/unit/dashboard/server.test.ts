import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { STATISTICS_COLUMNS } from '../../../src/analysis/statistics.js';
import { noteDashboard, runningDashboard } from '../../../src/client/dashboard-note.js';
import type { ErrorResponse, ViewResponse } from '../../../src/dashboard/api.js';
import { buildPageAssets, type PageAssets } from '../../../src/dashboard/assets.js';
import { embeddedSessions } from '../../../src/dashboard/embedded.js';
import { SQL_PROVENANCE_FILE, type SqlProvenanceMap } from '../../../src/dashboard/schema.js';
import { type DashboardServer, startDashboard } from '../../../src/dashboard/server.js';
import { duckdbDialect } from '../../../src/sql/render/duckdb.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { exited, warehouseProcess as otherProcess } from '../../helpers/other-process.js';
import { statisticRow } from '../../helpers/statistic-row.js';

/** GET with an explicit Host header (fetch would not let a test choose it). */
function get(
  port: number,
  path: string,
  options: { host?: string; method?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? `127.0.0.1:${port}` },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const statisticsRow = statisticRow();

describe('the dashboard server on the embedded warehouse file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-dashboard-server-'));
  const path = join(dir, 'warehouse.duckdb');
  let assets: PageAssets;
  let server: DashboardServer;

  before(async () => {
    const warehouse = await openDuckDbWarehouse({ path });
    await warehouse.writeRows({
      destination: { dataset: 'dash', table: 'statistics_my_exp_week_1' },
      columns: STATISTICS_COLUMNS,
      rows: [statisticsRow],
    });
    await warehouse.close();
    assets = await buildPageAssets();
    server = await startDashboard({
      sessions: embeddedSessions(path, { waitMs: 400 }),
      dialect: duckdbDialect(),
      defaultDataset: 'dash',
      port: 0,
      assets,
    });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves the page, its script with the charting library, and nothing from elsewhere', async () => {
    const page = await get(server.port, '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /<script type="module" src="\/assets\/dashboard\.js">/);
    assert.doesNotMatch(page.body, /https?:\/\//, 'no address outside the dashboard');
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    const script = await get(server.port, '/assets/dashboard.js');
    assert.equal(script.status, 200);
    assert.match(String(script.headers['content-type']), /^text\/javascript/);
    assert.ok(script.body.length > 100_000, 'Observable Plot is bundled into the script');
    assert.equal((await get(server.port, '/assets/style.css')).status, 200);
    assert.equal((await get(server.port, '/nope')).status, 404);
    assert.equal((await get(server.port, '/api/view', { method: 'POST' })).status, 405);
  });

  test('answers only to its own loopback address', async () => {
    const other = await get(server.port, '/', { host: `evil.example:${server.port}` });
    assert.equal(other.status, 403);
    assert.equal((await get(server.port, '/', { host: `localhost:${server.port}` })).status, 200);
  });

  test('/api/view: JSON for the default dataset; 404 and 400 say what is wrong', async () => {
    const ok = await get(server.port, '/api/view');
    assert.equal(ok.status, 200);
    const view = JSON.parse(ok.body) as ViewResponse;
    assert.equal(view.selection.experiment, 'my_exp');
    assert.deepEqual(
      view.rows.map((r) => r.point),
      [1],
    );
    assert.ok(view.warehouseMs >= 0);
    const unknown = await get(server.port, '/api/view?dataset=dash&experiment=other');
    assert.equal(unknown.status, 404);
    assert.deepEqual(JSON.parse(unknown.body), {
      error: "experiment 'other' has no statistics tables in dataset 'dash'; experiments there: my_exp",
      retry: false,
    } satisfies ErrorResponse);
    const bad = await get(server.port, `/api/view?dataset=${encodeURIComponent('a.b.c')}`);
    assert.equal(bad.status, 400);
    assert.match((JSON.parse(bad.body) as ErrorResponse).error, /^dataset: invalid dataset "a\.b\.c"/);
  });

  test('between answers the file is free: another process writes, and the next answer shows it', async () => {
    assert.equal((await get(server.port, '/api/view')).status, 200);
    const writer = otherProcess(['write', path, 'statistics_written_week_1']);
    assert.equal(await writer.ready, 'wrote');
    assert.equal(await exited(writer.child), 0);
    const view = JSON.parse((await get(server.port, '/api/view')).body) as ViewResponse;
    assert.deepEqual(
      view.choices.experiments.map((e) => e.slug),
      ['my_exp', 'written'],
    );
  });

  test('a warehouse whose directory cannot be written is read read-only: the page answers, nothing is written', async () => {
    // What `contrail dashboard` opens when the file's directory refuses writes (a read-only mount).
    const sessions = embeddedSessions(path, { readOnly: true });
    const readOnly = await startDashboard({
      sessions,
      dialect: duckdbDialect(),
      defaultDataset: 'dash',
      port: 0,
      assets,
    });
    try {
      const answer = await get(readOnly.port, '/api/view?dataset=dash&experiment=my_exp');
      assert.equal(answer.status, 200, answer.body);
      assert.deepEqual(
        (JSON.parse(answer.body) as ViewResponse).rows.map((r) => r.point),
        [1],
      );
      await assert.rejects(
        sessions.use((w) =>
          w.writeRows({
            destination: { dataset: 'dash', table: 'statistics_other_week_1' },
            columns: STATISTICS_COLUMNS,
            rows: [statisticsRow],
          }),
        ),
        /read-only mode/,
      );
    } finally {
      await readOnly.close();
    }
    // The note beside the warehouse is a courtesy: one that cannot be written stops nothing.
    const release = noteDashboard(join(dir, 'not-a-directory', 'warehouse.duckdb'), { port: 1, sqlDirs: [] });
    assert.equal(runningDashboard(join(dir, 'not-a-directory', 'warehouse.duckdb')), null);
    release();
  });

  test('while another process holds the file: 503 with retry, naming the file; then answers again', async () => {
    const holder = otherProcess(['hold', path]);
    assert.equal(await holder.ready, 'open');
    try {
      const busy = await get(server.port, '/api/view');
      assert.equal(busy.status, 503);
      const body = JSON.parse(busy.body) as ErrorResponse;
      assert.equal(body.retry, true);
      assert.match(body.error, new RegExp(`the embedded warehouse ${path} is in use by another process`));
      assert.match(body.error, /waited 400 ms/);
    } finally {
      holder.child.stdin.end();
      assert.equal(await exited(holder.child), 0);
    }
    assert.equal((await get(server.port, '/api/view')).status, 200);
  });

  test('a missing warehouse file is reported, not created; the page is told to ask again, and gets the results once written', async () => {
    const missing = join(dir, 'missing.duckdb');
    const other = await startDashboard({
      sessions: embeddedSessions(missing),
      dialect: duckdbDialect(),
      defaultDataset: 'dash',
      port: 0,
      assets,
    });
    try {
      const answer = await get(other.port, '/api/view?dataset=dash&experiment=my_exp');
      assert.equal(answer.status, 404);
      const body = JSON.parse(answer.body) as ErrorResponse;
      assert.match(body.error, /no embedded warehouse at .*missing\.duckdb yet/);
      assert.equal(body.retry, true, 'the first preview creates it: asking again helps');
      const { existsSync } = await import('node:fs');
      assert.equal(existsSync(missing), false);
      // The user's first preview writes the file: the same request now answers with its results.
      const warehouse = await openDuckDbWarehouse({ path: missing });
      await warehouse.writeRows({
        destination: { dataset: 'dash', table: 'statistics_my_exp_week_1' },
        columns: STATISTICS_COLUMNS,
        rows: [statisticsRow],
      });
      await warehouse.close();
      const written = await get(other.port, '/api/view?dataset=dash&experiment=my_exp');
      assert.equal(written.status, 200);
      assert.equal((JSON.parse(written.body) as ViewResponse).selection.experiment, 'my_exp');
    } finally {
      await other.close();
    }
  });

  test('/api/view: the SQL panel lists the SQL of the dataset and the windows on screen only', async () => {
    // A `--sql-output-dir` of the dataset shown (week windows 1 and 2; only week 1 has numbers)
    // and one of another dataset with the same experiment and window.
    const sqlDir = (dataset: string, windows: number[]): string => {
      const out = mkdtempSync(join(dir, `sql-${dataset}-`));
      mkdirSync(join(out, '2026-03-22'));
      const queries: SqlProvenanceMap['queries'] = windows.map((w) => {
        const table = `metrics_my_exp_clients_daily_week_${w}`;
        writeFileSync(join(out, '2026-03-22', `${table}.sql`), 'SELECT 1 AS active_hours');
        return {
          file: `2026-03-22/${table}.sql`,
          destination: { dataset, table },
          analysisDate: '2026-03-22',
          period: 'week',
          windowIndex: w,
          analysisBasis: null,
          metrics: ['active_hours'],
          references: [],
        };
      });
      const map: SqlProvenanceMap = { version: 1, experiment: 'my-exp', dataset, queries };
      writeFileSync(join(out, SQL_PROVENANCE_FILE), JSON.stringify(map));
      return out;
    };
    const withSql = await startDashboard({
      sessions: embeddedSessions(path),
      dialect: duckdbDialect(),
      defaultDataset: 'dash',
      sqlDirs: [sqlDir('tmp', [1]), sqlDir('dash', [1, 2])],
      port: 0,
      assets,
    });
    try {
      const answer = await get(withSql.port, '/api/view?dataset=dash&experiment=my_exp&period=week');
      assert.equal(answer.status, 200);
      const view = JSON.parse(answer.body) as ViewResponse;
      assert.deepEqual(
        view.rows.map((r) => r.window_index),
        ['1'],
      );
      assert.equal(view.sql.traced, true);
      assert.deepEqual(
        view.sql.queries.map((q) => [q.file, q.table]),
        [['2026-03-22/metrics_my_exp_clients_daily_week_1.sql', 'metrics_my_exp_clients_daily_week_1']],
      );
      assert.equal(view.sql.note, null);
    } finally {
      await withSql.close();
    }
  });
});
