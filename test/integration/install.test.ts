import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { temporalBinary } from '../../src/client/temporal-binary.js';
import { repoRoot, spawnProgram } from '../helpers/cli.js';

/** Runs a program to its end with exactly `env`, its output captured; killed after `timeoutMs`. */
const run = (
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
) => spawnProgram(command, args, options).done;

/**
 * contrail as a config author gets it: packed, installed with npm into a prefix of its own,
 * and run from a directory outside the repository, on the embedded default (no Temporal
 * settings), with its data in a fresh CONTRAIL_HOME.
 */
describe('the packed package', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'contrail-install-'));
  const prefix = join(scratch, 'prefix');
  const home = join(scratch, 'home');
  const cwd = join(scratch, 'elsewhere');
  mkdirSync(cwd);
  // Nothing of the test run's Temporal, worker or warehouse settings: the installed CLI must
  // find everything itself. The run's marker stays, so a process left behind is reported.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(TEMPORAL_|CONTRAIL_)/.test(key) || key === 'CONTRAIL_TEST_RUN',
    ),
  );
  const env = { ...base, CONTRAIL_HOME: home };
  const contrail = join(prefix, 'bin', 'contrail');

  before(async () => {
    const packed = await run('npm', ['pack', '--pack-destination', scratch], {
      cwd: repoRoot,
      env: base,
      timeoutMs: 180_000,
    });
    assert.equal(packed.code, 0, packed.stderr);
    const tarball = readdirSync(scratch).find((name) => /^contrail-.*\.tgz$/.test(name));
    assert.ok(tarball, `npm pack wrote a tarball:\n${packed.stdout}`);
    // From the npm cache where it has the packages: the registry is asked only for what it lacks.
    const installed = await run(
      'npm',
      [
        'install',
        '-g',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        join(scratch, tarball),
      ],
      { cwd: scratch, env: base, timeoutMs: 300_000 },
    );
    assert.equal(installed.code, 0, installed.stderr);
    // The repository's Temporal CLI where an installed contrail keeps its own: the default
    // (a PyPI install on first use) is the same script the repository's set-up runs.
    const bin = join(home, 'tools', 'venv', 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(resolve(repoRoot, temporalBinary()), join(bin, 'temporal'));
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('ships what it runs and no tests', () => {
    const root = join(prefix, 'lib', 'node_modules', 'contrail');
    for (const file of [
      'dist/workflow-bundle.js',
      'dist/build-id',
      'npm-shrinkwrap.json',
      'src/sample/experiments.json',
      'src/sample/metric-hub',
      'releases.json',
      'scripts/install-temporal.sh',
      'scripts/install-uv.sh',
    ]) {
      assert.ok(existsSync(join(root, file)), `${file} is in the package`);
    }
    for (const file of ['test', 'bench', 'node_modules/typescript', 'node_modules/@biomejs']) {
      assert.ok(!existsSync(join(root, file)), `${file} is not installed`);
    }
  });

  test('contrail --help from another directory', async () => {
    const help = await run(contrail, ['--help'], { cwd, env, timeoutMs: 60_000 });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /contrail preview/);
  });

  test('the demo: sample and a preview from another directory, on the embedded default', async () => {
    const sample = await run(contrail, ['sample', '--clients', '1000'], { cwd, env, timeoutMs: 120_000 });
    assert.equal(sample.code, 0, sample.stderr);
    const preview = await run(
      contrail,
      [
        'preview',
        '--experiment_slug',
        'contrail-demo-sidebar',
        '--sample_size',
        '100',
        '--num-days',
        '1',
        '--analysis_periods',
        'day',
      ],
      { cwd, env, timeoutMs: 300_000 },
    );
    assert.equal(preview.code, 0, `${preview.stdout}\n${preview.stderr}`);
    assert.match(preview.stderr, /starting an embedded Temporal dev server/);
    assert.match(preview.stdout, /treatment-a/);
    const buildId = readFileSync(
      join(prefix, 'lib', 'node_modules', 'contrail', 'dist', 'build-id'),
      'utf8',
    ).trim();
    assert.ok(
      `${preview.stdout}${preview.stderr}`.includes(`+${buildId}`),
      `the preview names the build it was packed from (${buildId})`,
    );
    assert.ok(existsSync(join(home, 'warehouse.duckdb')), 'results in CONTRAIL_HOME');
    // The warehouse was closed before the command ended: no note says it still holds the file.
    assert.ok(
      !existsSync(join(home, 'warehouse.duckdb.holder.json')),
      'the warehouse file was closed at exit',
    );
    assert.deepEqual(readdirSync(cwd), [], 'nothing written where it ran');
  });
});
