import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { computeStatistic } from '../../../src/statistics/index.js';
import { runMain } from '../../helpers/cli.js';

/**
 * `contrail stats …` through the CLI's main in this process: what is checked is what it prints
 * and the code it ends with, and a node process per command would only add its start and a
 * second load of every module.
 */
const cli = async (args: string[]) => {
  const { code, stdout, stderr } = await runMain(['stats', ...args]);
  return { status: code, stdout, stderr };
};

describe('contrail stats', () => {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-stats-'));
  const csv = join(dir, 'rows.csv');
  const lines = ['branch,value,covariate'];
  for (let i = 0; i < 60; i++) lines.push(`${i % 2 ? 'control' : 'treatment'},${(i * 7) % 11},${i % 5}`);
  writeFileSync(csv, `${lines.join('\n')}\n`);

  it('aggregates the file in DuckDB and prints the same rows as the engine', async () => {
    const out = await cli([
      '--statistic',
      'bootstrap_mean',
      '--param',
      'num_samples=500',
      '--seed',
      '3',
      csv,
    ]);
    assert.equal(out.status, 0, out.stderr);
    const rows = JSON.parse(out.stdout);
    const bins = (b: string) => {
      const m = new Map<number, number>();
      lines.slice(1).forEach((l) => {
        const [br, v] = l.split(',');
        if (br === b) m.set(Number(v), (m.get(Number(v)) ?? 0) + 1);
      });
      return [...m].map(([y, count]) => ({ y, count }));
    };
    const expected = computeStatistic(
      { name: 'bootstrap_mean', params: { num_samples: 500 }, preTreatments: [] },
      {
        metric: 'value',
        windowDays: 1,
        branches: [
          { branch: 'control', bins: bins('control') },
          { branch: 'treatment', bins: bins('treatment') },
        ],
      },
      { segment: 'all', analysisBasis: 'enrollments', windowIndex: '1', referenceBranch: 'control', seed: 3 },
    ).rows;
    assert.deepEqual(rows, expected);
  });

  it('a statistic or parameter it does not know is a usage error naming its flag, before the file is read', async () => {
    const name = await cli(['--statistic', 'bootstrapmean', join(dir, 'missing.csv')]);
    assert.equal(name.status, 2);
    assert.match(
      name.stderr,
      /^contrail: --statistic bootstrapmean: did you mean bootstrap_mean\? \(expected one of bootstrap_mean, binomial, .*empirical_cdf\)$/m,
    );
    const param = await cli(['--statistic', 'bootstrap_mean', '--param', 'num_sample=500', csv]);
    assert.equal(param.status, 2);
    assert.match(
      param.stderr,
      /^contrail: --param: unknown parameter 'num_sample' for statistic 'bootstrap_mean'/m,
    );
  });

  it('a --seed that is no whole number from 0 is a usage error naming it, before the file is read', async () => {
    for (const seed of ['-1', '1.5']) {
      const out = await cli(['--statistic', 'bootstrap_mean', '--seed', seed, join(dir, 'missing.csv')]);
      assert.equal(out.status, 2, out.stderr);
      assert.equal(
        out.stderr.trim(),
        `contrail: --seed ${seed}: must be a whole number from 0 to 9,007,199,254,740,991`,
      );
    }
  });

  it('a second file is refused saying what the command takes', async () => {
    const out = await cli(['--statistic', 'bootstrap_mean', csv, join(dir, 'other.csv')]);
    assert.equal(out.status, 2);
    assert.equal(
      out.stderr.trim().split('\n').at(-1),
      `contrail: unexpected argument ${join(dir, 'other.csv')}: the command is \`contrail stats <file>\` (see above)`,
    );
  });

  it('a file that is missing, or not .csv or .parquet, is a usage error naming the argument and what it takes', async () => {
    const wanted = 'give a .csv or .parquet file of branch,value\\[,covariate\\] rows \\(see --help\\)';
    const missing = join(dir, 'missing.csv');
    const none = await cli(['--statistic', 'bootstrap_mean', missing]);
    assert.equal(none.status, 2);
    assert.match(none.stderr, new RegExp(`^contrail: <file> '${missing}': no such file; ${wanted}$`, 'm'));
    const txt = join(dir, 'rows.txt');
    writeFileSync(txt, 'branch,value\ncontrol,1\n');
    const other = await cli(['--statistic', 'bootstrap_mean', txt]);
    assert.equal(other.status, 2);
    assert.match(
      other.stderr,
      new RegExp(
        `^contrail: <file> '${txt}': its name ends in '.txt', not .csv or .parquet; ${wanted}$`,
        'm',
      ),
    );
    // Told before whether it exists: renaming it is the fix either way.
    const bare = await cli(['--statistic', 'bootstrap_mean', join(dir, 'rows')]);
    assert.equal(bare.status, 2);
    assert.match(bare.stderr, /: its name ends in no extension, not \.csv or \.parquet;/);
    mkdirSync(join(dir, 'folder.csv'));
    const folder = await cli(['--statistic', 'bootstrap_mean', join(dir, 'folder.csv')]);
    assert.equal(folder.status, 2);
    assert.match(folder.stderr, /folder\.csv': not a file;/);
  });

  it('a covariate column the statistic does not read is a warning naming the parameter that would; read, it is not', async () => {
    const periods = 'covariate_adjustment\\.period=preenrollment_week\\|preenrollment_days28';
    const unadjusted = await cli(['--statistic', 'linear_model_mean', csv]);
    assert.equal(unadjusted.status, 0, unadjusted.stderr);
    assert.match(
      unadjusted.stderr,
      new RegExp(
        `^warning: column 'covariate' of '${csv}' is ignored: --statistic linear_model_mean adjusts for it only with --param ${periods}$`,
        'm',
      ),
    );
    const none = await cli(['--statistic', 'count', csv]);
    assert.equal(none.status, 0, none.stderr);
    assert.match(
      none.stderr,
      new RegExp(
        `^warning: column 'covariate' of '${csv}' is ignored: --statistic count takes no covariate \\(linear_model_mean and per_client_dau_impact adjust for it, with --param ${periods}\\)$`,
        'm',
      ),
    );
    const adjusted = await cli([
      '--statistic',
      'linear_model_mean',
      '--param',
      'covariate_adjustment.period=preenrollment_week',
      csv,
    ]);
    assert.equal(adjusted.status, 0, adjusted.stderr);
    assert.doesNotMatch(adjusted.stderr, /covariate/);
    // A file without the column: nothing to say.
    const plain = join(dir, 'plain.csv');
    writeFileSync(plain, 'branch,value\ncontrol,1\ntreatment,2\n');
    const count = await cli(['--statistic', 'count', plain]);
    assert.equal(count.status, 0, count.stderr);
    assert.equal(count.stderr, '');
  });

  it('names a missing column and the ones it needs', async () => {
    const out = await cli(['--statistic', 'population_ratio', csv]);
    assert.equal(out.status, 1);
    assert.match(
      out.stderr,
      /no column 'numerator'; this statistic needs columns branch, numerator, denominator \(found: branch, value, covariate\)/,
    );
    const named = await cli(['--statistic', 'population_ratio', '--param', 'numerator=a', csv]);
    assert.equal(named.status, 1);
    assert.match(named.stderr, /no column 'a'; this statistic needs columns branch, a, denominator /);
  });

  it('population_ratio reads a file of branch,numerator,denominator rows as its help says, or the columns --param names', async () => {
    const ratio = join(dir, 'ratio.csv');
    const renamed = join(dir, 'renamed.csv');
    const rows = ['control,3,5', 'control,5,6', 'treatment,2,4', 'treatment,7,9'];
    writeFileSync(ratio, `branch,numerator,denominator\n${rows.join('\n')}\n`);
    writeFileSync(renamed, `branch,clicks,views\n${rows.join('\n')}\n`);
    const out = await cli(['--statistic', 'population_ratio', '--param', 'num_samples=200', ratio]);
    assert.equal(out.status, 0, out.stderr);
    const branches = JSON.parse(out.stdout)
      .filter((r: { comparison: string | null }) => r.comparison === null)
      .map((r: { branch: string; statistic: string; point: number }) => [r.branch, r.statistic, r.point > 0]);
    assert.deepEqual(branches, [
      ['control', 'population_ratio', true],
      ['treatment', 'population_ratio', true],
    ]);
    const other = await cli([
      '--statistic',
      'population_ratio',
      '--param',
      'num_samples=200',
      '--param',
      'numerator=clicks',
      '--param',
      'denominator=views',
      renamed,
    ]);
    assert.equal(other.status, 0, other.stderr);
    assert.equal(other.stdout, out.stdout);
  });

  it('leaves out rows without a branch (not a branch called null), and refuses a file without rows', async () => {
    const gaps = join(dir, 'gaps.csv');
    writeFileSync(gaps, 'branch,value\n,7\ncontrol,1\ncontrol,2\ntreatment,3\n,8\n');
    const out = await cli(['--statistic', 'count', gaps]);
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(
      JSON.parse(out.stdout).map((r: { branch: string; point: number }) => [r.branch, r.point]),
      [
        ['control', 2],
        ['treatment', 1],
      ],
    );
    assert.match(
      out.stderr,
      new RegExp(`^warning: left out 2 row\\(s\\) of '${gaps}' with an empty branch$`, 'm'),
    );
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, 'branch,value\n');
    const none = await cli(['--statistic', 'count', empty]);
    assert.equal(none.status, 1);
    assert.equal(
      none.stderr.trim(),
      `contrail: file '${empty}' has no rows: there is nothing to compute a statistic over`,
    );
  });

  it('a statistic that computes no rows fails saying why, naming the file and column, and prints no []', async () => {
    const counts = join(dir, 'counts.csv');
    writeFileSync(counts, 'branch,value\ncontrol,3\ncontrol,5\ntreatment,2\ntreatment,7\n');
    const out = await cli(['--statistic', 'binomial', counts]);
    assert.equal(out.status, 1);
    assert.equal(out.stdout, '');
    assert.equal(
      out.stderr.trim(),
      `contrail: --statistic binomial has no results for column 'value' of '${counts}': values must be 0 or 1 (or booleans), but branch 'control' has 3`,
    );
  });

  it('names the line of a value that is not a number', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'branch,value\ncontrol,1\ncontrol,2\ntreatment,n/a\ntreatment,3\n');
    const out = await cli(['--statistic', 'bootstrap_mean', bad]);
    assert.equal(out.status, 1);
    assert.equal(
      out.stderr.trim(),
      `contrail: cannot aggregate '${bad}': line 4: value "n/a" is not a number (values must be numbers or booleans)`,
    );
  });
});
