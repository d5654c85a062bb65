import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { STATISTICS_COLUMNS } from '../../../src/analysis/statistics.js';
import { runningDashboard } from '../../../src/client/dashboard-note.js';
import type { ViewResponse } from '../../../src/dashboard/api.js';
import { openDuckDbWarehouse } from '../../../src/warehouse/duckdb.js';
import { cliLauncher, repoRoot, runMain } from '../../helpers/cli.js';

describe('contrail dashboard', () => {
  test('prints the URL with the dataset and experiment, serves it, and stops on Ctrl-C with exit 130', async () => {
    const home = mkdtempSync(join(tmpdir(), 'contrail-home-'));
    const warehouse = await openDuckDbWarehouse({ path: join(home, 'warehouse.duckdb') });
    await warehouse.writeRows({
      destination: { dataset: 'contrail', table: 'statistics_daily_exp_day_1' },
      columns: STATISTICS_COLUMNS,
      rows: [],
    });
    await warehouse.close();
    const child = spawn(
      process.execPath,
      [cliLauncher, 'dashboard', '--port', '0', '--dataset_id', 'contrail', '--experiment_slug', 'daily-exp'],
      { cwd: repoRoot, env: { ...process.env, CONTRAIL_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const match = /contrail dashboard: (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(stdout);
          if (match?.[1]) resolve(match[1]);
        });
        void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      const parsed = new URL(url);
      assert.equal(parsed.searchParams.get('dataset'), 'contrail');
      assert.equal(parsed.searchParams.get('experiment'), 'daily-exp');
      assert.match(stdout, /reads .*warehouse\.duckdb \(opened for each answer and closed after it/);
      const view = (await (await fetch(`${parsed.origin}/api/view${parsed.search}`)).json()) as ViewResponse;
      assert.equal(view.selection.experiment, 'daily_exp');
      assert.equal(view.selection.period, 'day');
      // The datasets there are: not the preview dataset ('tmp'), nothing was written to.
      assert.deepEqual(view.choices.datasets, [{ name: 'contrail' }]);
      // A preview of this warehouse finds the dashboard at its port (here one the system picked).
      const noted = runningDashboard(join(home, 'warehouse.duckdb'));
      assert.equal(noted?.port, Number(parsed.port));
      assert.equal(noted?.pid, child.pid);
    } finally {
      child.kill('SIGINT');
    }
    // Stopped by Ctrl-C as any command is: exit 130, after it shut down.
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /^contrail: interrupted \(SIGINT\): the dashboard stopped$/m);
    assert.equal(runningDashboard(join(home, 'warehouse.duckdb')), null, 'the note went with the dashboard');
  });

  // In this process (runMain): each is refused before anything starts, and a node process apiece
  // would only add its start and a second load of every module.
  test('bad arguments: a clear message naming the option, exit 2', async () => {
    const port = await runMain(['dashboard', '--port', '70000']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port 70000: give a port number from 1 to 65535, or 0 for a free one/);
    const word = await runMain(['dashboard', '--port', 'abc']);
    assert.equal(word.code, 2);
    assert.match(word.stderr, /^contrail: --port "abc": expected a number$/m);
    const dir = await runMain(['dashboard', '--port', '0', '--sql-output-dir', '/nonexistent/sql']);
    assert.equal(dir.code, 2);
    assert.match(dir.stderr, /--sql_output_dir '\/nonexistent\/sql' is not a directory/);
    const dataset = await runMain(['dashboard', '--port', '0', '--dataset_id', 'not a dataset']);
    assert.equal(dataset.code, 2);
    assert.match(
      dataset.stderr,
      /^contrail: --dataset_id not a dataset: use letters, digits and underscores/m,
    );
    // The embedded warehouse has no projects to prefix. (On a port already taken: were the name
    // taken, the command would stop there rather than serve a page until it is stopped.)
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port: takenPort } = taken.address() as AddressInfo;
      const prefixed = await runMain([
        'dashboard',
        '--port',
        String(takenPort),
        '--dataset_id',
        'my-project.tmp',
      ]);
      assert.equal(prefixed.code, 2, prefixed.stderr);
      assert.match(prefixed.stderr, /^contrail: --dataset_id my-project\.tmp: .*with no project prefix/m);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  test('on BigQuery: settings that name no project, or a BigQuery that does not answer, are said before the page is served, exit 1', async () => {
    const bigquery = {
      CONTRAIL_WAREHOUSE: 'bigquery',
      METADATA_SERVER_DETECTION: 'none',
      CONTRAIL_BIGQUERY_PROJECT: '',
    };
    const noProject = await runMain(['dashboard', '--port', '0'], { ...bigquery, GOOGLE_CLOUD_PROJECT: '' });
    assert.equal(noProject.code, 1, noProject.stderr);
    assert.match(noProject.stderr, /^contrail: CONTRAIL_BIGQUERY_PROJECT \(or --project_id\) must name/m);
    // Nothing listens on a port just closed: the listing of the project's datasets fails at once.
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const silent = await runMain(['dashboard', '--port', '0', '--project_id', 'my-project'], {
      ...bigquery,
      CONTRAIL_BIGQUERY_ENDPOINT: `http://127.0.0.1:${closed}`,
    });
    assert.equal(silent.code, 1, silent.stderr);
    assert.match(
      silent.stderr,
      /^contrail: cannot list the datasets of BigQuery project my-project: BigQuery gave no answer: .*ECONNREFUSED/m,
    );
    assert.doesNotMatch(silent.stdout, /contrail dashboard: http/, 'no page was served');
  });
});
