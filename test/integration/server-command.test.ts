import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { msToTs } from '@temporalio/common/lib/time.js';
import { startDevServer } from '../../src/client/dev-server.js';
import { freePort, portIsFree } from '../../src/client/ports.js';
import { temporalBinary } from '../../src/client/temporal-binary.js';
import { ownEnv, runCli, runMain, spawnCli } from '../helpers/cli.js';
import { marked, processMarker } from '../helpers/processes.js';
import { type TestTemporal, testTemporal } from '../helpers/temporal.js';

/** `contrail server` as a person runs it, in its own process, with a marker on everything it starts. */
function startServer(args: string[], home: string = mkdtempSync(join(tmpdir(), 'contrail-server-'))) {
  const marker = processMarker();
  const cli = spawnCli(['server', ...args], {
    env: { ...marker.env, CONTRAIL_HOME: home },
    timeoutMs: 600_000,
  });
  const { child } = cli;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  /** Until it says it is up, or exits. */
  const started = async () => {
    const deadline = Date.now() + 90_000;
    while (!cli.stdout().includes('Press Ctrl-C') && child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
  };
  const up = async () => {
    await started();
    assert.match(
      cli.stdout(),
      /Press Ctrl-C/,
      `the server came up (exit ${child.exitCode}): ${cli.stderr()}`,
    );
  };
  /** Up, or refused because a port it was given is taken. */
  const settled = async (): Promise<'up' | 'refused'> => {
    await started();
    return child.exitCode !== null && /--(ui-)?port \d+: /.test(cli.stderr()) ? 'refused' : 'up';
  };
  return { child, home, marker, exited, up, settled, stdout: cli.stdout };
}

/**
 * `contrail server` up on ports free a moment ago. Another test file's server can take one of
 * them between freePort and the start: refused (the behaviour the ports tests check), it is
 * started again on other ports.
 */
async function serverOnFreePorts(home?: string) {
  for (let attempt = 1; ; attempt++) {
    const ports = [await freePort(), await freePort()] as const;
    const server = startServer(['--port', String(ports[0]), '--ui-port', String(ports[1])], home);
    if ((await server.settled()) === 'up' || attempt === 3) {
      await server.up();
      return { ...server, port: ports[0], uiPort: ports[1] };
    }
  }
}

describe('contrail server', { concurrency: true }, () => {
  let temporal: TestTemporal;
  before(async () => {
    temporal = await testTemporal();
  });
  after(async () => {
    await temporal.close();
  });

  test('prints a working UI URL, answers `temporal workflow list`, stops on Ctrl-C', async () => {
    const server = await serverOnFreePorts();
    const { port, uiPort } = server;
    try {
      const ui = /Web UI:\s+(\S+)/.exec(server.stdout())?.[1];
      const address = /gRPC address:\s+(\S+)/.exec(server.stdout())?.[1];
      assert.equal(address, `127.0.0.1:${port}`, server.stdout());
      assert.equal(ui, `http://127.0.0.1:${uiPort}`, server.stdout());
      assert.equal((await fetch(ui)).status, 200);
      // This process's own environment: a command another test runs in-process (runMain) sets
      // TEMPORAL_NAMESPACE meanwhile, which the Temporal CLI would take.
      const list = execFileSync(temporalBinary(), ['workflow', 'list', '--address', address], {
        encoding: 'utf8',
        env: ownEnv(),
      });
      assert.equal(typeof list, 'string'); // exit code 0 is the assertion: execFileSync throws otherwise
      assert.ok(existsSync(join(server.home, 'temporal.sqlite')), 'SQLite file under the data directory');
    } finally {
      server.child.kill('SIGINT');
    }
    assert.equal(await server.exited, 0);
    assert.match(server.stdout(), /Temporal dev server stopped\./);
    assert.deepEqual(await marked(server.marker.pids, 10_000), []);
  });

  test("on a namespace without contrail's search attributes, a worker, doctor, a run and a schedule stop at once, naming them and how to create them", async () => {
    const namespace = `no-attributes-${randomUUID().slice(0, 8)}`;
    await temporal.client.connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const env = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-no-attributes-')),
    };
    // In this process: the refusal is what is checked, not the process that prints it.
    for (const args of [['worker'], ['doctor'], ['run', '--date', '2026-03-15'], ['schedule', 'create']]) {
      const result = await runMain(args, env);
      assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
      assert.match(
        result.stderr,
        new RegExp(
          `^contrail: ${temporal.address}: namespace ${namespace} lacks contrail's search attributes ContrailExperiment, ContrailToolVersion, ContrailConfigCommit, ContrailStage, so every contrail workflow would wait forever; create them \\(temporal operator search-attribute create --namespace ${namespace} --name ContrailExperiment --type Keyword; `,
          'm',
        ),
        args[0],
      );
    }
  });

  test('a worker on a namespace the server lacks stops at once, naming it', async () => {
    const namespace = `no-such-${randomUUID().slice(0, 8)}`;
    const result = await runMain(['worker'], {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-no-namespace-')),
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `^contrail: ${temporal.address}: namespace ${namespace} \\(TEMPORAL_NAMESPACE\\) does not exist on this server; `,
        'm',
      ),
    );
    // It polled nothing: the server's own refusal came only after its first long polls.
    assert.ok(result.ms < 30_000, `stopped after ${result.ms} ms`);
  });

  test('a worker that cannot be made (its workflow bundle missing) stops, naming the setting, and exits', async () => {
    const started = Date.now();
    const result = await runCli(['worker'], {
      env: {
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: temporal.namespace,
        CONTRAIL_WORKFLOW_BUNDLE: join(tmpdir(), 'no-such-bundle.js'),
        CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-no-bundle-')),
      },
      timeoutMs: 60_000,
    });
    // Its connections stayed open and kept the process alive after the error (killed at the timeout).
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^contrail: CONTRAIL_WORKFLOW_BUNDLE=\S+no-such-bundle\.js: no such file; /m);
    assert.ok(Date.now() - started < 30_000, `stopped after ${Date.now() - started} ms`);
  });

  test('doctor on a cluster where no worker polls its task queue names that link at once', async () => {
    const queue = `nobody-${randomUUID()}`;
    const result = await runMain(['doctor'], {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      CONTRAIL_TASK_QUEUE: queue,
      CONTRAIL_HOME: mkdtempSync(join(tmpdir(), 'contrail-doctor-')),
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `^contrail: Temporal at ${temporal.address} answered, but no worker polls task queue '${queue}'`,
        'm',
      ),
    );
  });

  test('Ctrl-C while `contrail status` follows a run stops following, saying the run goes on and how to follow it again', async () => {
    const workflowId = `status-interrupted/${randomUUID()}`;
    // No worker polls this task queue: the run stays open for as long as the test needs.
    await temporal.client.workflow.start('healthCheck', { taskQueue: `nobody-${randomUUID()}`, workflowId });
    const status = spawnCli(['status', workflowId], {
      env: { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace },
    });
    try {
      await status.waitForStderr(/no worker polls task queue/);
      status.child.kill('SIGINT');
      const result = await status.done;
      assert.equal(result.code, 130, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `^contrail: stopped following \\(SIGINT\\); ${workflowId} keeps running on ${temporal.address}: \`contrail status ${workflowId}\` shows it$`,
          'm',
        ),
      );
    } finally {
      status.child.kill('SIGKILL');
      await temporal.client.workflow.getHandle(workflowId).terminate('test');
    }
  });

  test('killed with SIGKILL, it takes its Temporal server with it', async () => {
    const server = await serverOnFreePorts();
    assert.ok(server.marker.pids().length >= 2, 'the CLI and the Temporal server it started');
    server.child.kill('SIGKILL');
    await server.exited;
    assert.deepEqual(await marked(server.marker.pids, 10_000), [], 'no orphan keeps the port');
  });

  test('a second server on the same database: refused before anything starts, naming the first; once the first is killed, the next one starts', async () => {
    const first = await serverOnFreePorts();
    const address = `127.0.0.1:${first.port}`;
    const database = join(first.home, 'temporal.sqlite');
    try {
      const port = await freePort();
      const marker = processMarker();
      // In this process: what it would start carries the marker all the same.
      const second = await runMain(
        ['server', '--port', String(port), '--ui-port', String(await freePort())],
        {
          ...marker.env,
          CONTRAIL_HOME: first.home,
        },
      );
      assert.equal(second.code, 1, second.stderr);
      assert.doesNotMatch(second.stdout, /is up/);
      const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      assert.match(
        second.stderr,
        new RegExp(
          `^contrail: ${escaped(`database ${database}: a Temporal server already uses it (two on one file break each other): \`contrail server --port ${first.port} --ui-port ${first.uiPort}\` (pid ${first.child.pid}, since `)}[^)]+${escaped(`), answering on ${address}; use it (TEMPORAL_ADDRESS=${address}), stop it (Ctrl-C in its terminal), or give this one another database (another CONTRAIL_HOME, or --db-filename)`)}\n$`,
        ),
      );
      assert.equal(await portIsFree(port), true, 'nothing was started on its port');
      assert.deepEqual(await marked(marker.pids, 10_000), []);
    } finally {
      first.child.kill('SIGKILL');
    }
    await first.exited;
    // At once, while the killed command's server is still stopping: the next one waits for it.
    const next = await serverOnFreePorts(first.home);
    try {
      assert.deepEqual(first.marker.pids(), [], 'the first server had stopped before the next one started');
    } finally {
      next.child.kill('SIGINT');
    }
    assert.equal(await next.exited, 0);
    assert.deepEqual(await marked(next.marker.pids, 10_000), []);
    assert.equal(existsSync(`${database}.server.json`), false, 'the note goes with the server');
  });

  // These two run the CLI in this process (runMain), so one at a time.
  describe('ports in use', { concurrency: false }, () => {
    test('a port where a Temporal server already answers: refused, naming the port and the holder; never "up"', async () => {
      const port = Number(temporal.address.split(':')[1]);
      const result = await runMain(['server', '--port', String(port), '--ui-port', String(await freePort())]);
      assert.notEqual(result.code, 0);
      assert.doesNotMatch(result.stdout, /is up/);
      assert.match(
        result.stderr,
        new RegExp(
          `--port ${port}: a Temporal server already answers on 127\\.0\\.0\\.1:${port}, held by pid \\d+`,
        ),
      );
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    });

    test('a port some other program holds: refused, naming that program', async () => {
      // The CLI asks whether a Temporal server answers there: close what it opened, or this process lives on.
      const accepted: Socket[] = [];
      const holder = createServer((socket) => accepted.push(socket));
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      const port = (holder.address() as { port: number }).port;
      try {
        const result = await runMain(['server', '--port', String(port)]);
        assert.equal(result.code, 1);
        assert.match(
          result.stderr,
          new RegExp(`--port ${port}: the port is in use by pid ${process.pid} \\(`),
        );
      } finally {
        holder.close();
        for (const socket of accepted) socket.destroy();
      }
    });

    test('a port taken by another program between choosing and binding it: the start is tried again', async () => {
      // The server chooses its HTTP API port itself: a wrapper makes its first start lose that race.
      const dir = mkdtempSync(join(tmpdir(), 'contrail-port-race-'));
      const starts = join(dir, 'starts');
      const wrapper = join(dir, 'temporal');
      writeFileSync(
        wrapper,
        `#!/bin/sh
echo "$1 $2" >> '${starts}'
if [ "$(wc -l < '${starts}')" -eq 1 ]; then
  echo 'failed listening for HTTP API on 127.0.0.1:1: listen tcp 127.0.0.1:1: bind: address already in use' >&2
  exit 1
fi
exec '${resolve(temporalBinary())}' "$@"
`,
        { mode: 0o755 },
      );
      const server = await startDevServer({
        startTimeoutMs: 120_000,
        // Not a command's environment that runMain set meanwhile (another test's marker).
        env: { ...ownEnv(), TEMPORAL_CLI_PATH: wrapper },
      });
      await server.stop();
      assert.equal(readFileSync(starts, 'utf8'), 'server start-dev\nserver start-dev\n', 'started twice');
    });
  });
});
