import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/client/dev-server.js';
import { temporalBinary } from '../../src/client/temporal-binary.js';
import { devServerPids } from '../helpers/processes.js';

const cli = fileURLToPath(new URL('../../src/client/cli.ts', import.meta.url));

test('contrail server: prints a working UI URL, answers `temporal workflow list`, stops on Ctrl-C', async () => {
  const home = mkdtempSync(join(tmpdir(), 'contrail-server-'));
  const port = await freePort();
  const uiPort = await freePort();
  const before = devServerPids();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', cli, 'server', '--port', String(port), '--ui-port', String(uiPort)],
    {
      env: { ...process.env, CONTRAIL_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  try {
    const deadline = Date.now() + 90_000;
    while (!stdout.includes('Press Ctrl-C') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const ui = /Web UI:\s+(\S+)/.exec(stdout)?.[1];
    const address = /gRPC address:\s+(\S+)/.exec(stdout)?.[1];
    assert.equal(address, `127.0.0.1:${port}`, stdout);
    assert.equal(ui, `http://127.0.0.1:${uiPort}`, stdout);
    assert.equal((await fetch(ui)).status, 200);
    const list = execFileSync(temporalBinary(), ['workflow', 'list', '--address', address], {
      encoding: 'utf8',
    });
    assert.equal(typeof list, 'string'); // exit code 0 is the assertion: execFileSync throws otherwise
    assert.ok(existsSync(join(home, 'temporal.sqlite')), 'SQLite file under the data directory');
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0);
  assert.match(stdout, /Temporal dev server stopped\./);
  assert.deepEqual(devServerPids(), before);
});
