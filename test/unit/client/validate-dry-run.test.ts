import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { runMain } from '../../helpers/cli.js';
import { configRepoWith, DEMO_CONFIG_REPO } from '../../helpers/sample.js';

/**
 * `contrail validate --dry_run` on the embedded warehouse: a problem every window's query meets
 * (a table the warehouse lacks, an enrollments query it rejects) is said once, with how many
 * queries it failed, and the exit code and summary still count every query.
 */
const demo = readFileSync(join(DEMO_CONFIG_REPO, 'jetstream', `${DEMO_SLUG}.toml`), 'utf8');
// The demo config with one more metric, in each of its periods, from a table the sample lacks.
const config = `${demo.replace(/^(weekly|overall) = \["/gm, '$1 = ["from_missing", "')}
[data_sources.missing_src]
from_expression = "mozdata.telemetry.no_such_table"
experiments_column_type = "simple"

[metrics.from_missing]
select_expression = "COUNT(*)"
data_source = "missing_src"

[metrics.from_missing.statistics.count]
`;
const homes: string[] = [];
let repo: string;
let file: string;

const validate = (home: string) =>
  runMain(['validate', file, '--config_repos', repo, '--dry_run', '--no-check_sql'], { CONTRAIL_HOME: home });

const home = () => {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-dry-run-home-'));
  homes.push(dir);
  return dir;
};

before(() => {
  repo = configRepoWith({ [`jetstream/${DEMO_SLUG}.toml`]: config });
  file = join(repo, 'jetstream', `${DEMO_SLUG}.toml`);
});

after(() => {
  for (const dir of [...homes, repo]) rmSync(dir, { recursive: true, force: true });
});

describe('validate --dry_run on the embedded warehouse', () => {
  test('a table the sample lacks is said once for the data source, with the queries it failed, as the embedded warehouse words it', async () => {
    const sampled = home();
    const sample = await runMain(['sample', '--clients', '300'], { CONTRAIL_HOME: sampled });
    assert.equal(sample.code, 0, sample.stderr);
    const { code, stdout, stderr } = await validate(sampled);
    assert.equal(code, 1, stdout + stderr);
    const missing = stdout
      .split('\n')
      .filter((l) => l.includes('table mozdata.telemetry.no_such_table does not exist'));
    assert.equal(missing.length, 1, stdout);
    assert.match(
      missing[0] ?? '',
      /^ {2}error: in 3 queries \(metrics_\w+_missing_src_week_1, metrics_\w+_missing_src_week_3, metrics_\w+_missing_src_overall_1\): table mozdata\.telemetry\.no_such_table does not exist in the embedded warehouse \(.*\), which holds .*: check the table the config reads, or set CONTRAIL_HOME/,
    );
    assert.match(
      stdout,
      /; config: data source missing_src \(\S+\.toml: data_sources\.missing_src \(line \d+\)\)$/m,
    );
    // The other queries are each still reported with their cost.
    assert.ok((stdout.match(/^ {2}ok: metrics_/gm) ?? []).length >= 6, stdout);
    // The summary and the exit code count every query that failed.
    assert.match(stderr, /^contrail: 3 queries are invalid$/m);
  });

  test('with no telemetry, the scans waiting on the rejected enrollments query are one line', async () => {
    const { code, stdout, stderr } = await validate(home());
    assert.equal(code, 1, stdout + stderr);
    assert.match(stdout, /^ {2}error: enrollments_\w+: table mozdata\.telemetry\.events does not exist/m);
    const waiting = stdout.split('\n').filter((l) => l.startsWith('  not checked:'));
    assert.deepEqual(waiting.length, 1, stdout);
    assert.match(
      waiting[0] ?? '',
      /^ {2}not checked: in (\d+) queries \(metrics_\w+ … metrics_\w+\): it reads the enrollments, whose query was rejected: checked once that query passes$/,
    );
    assert.match(stderr, /^contrail: 1 query is invalid$/m);
  });
});
