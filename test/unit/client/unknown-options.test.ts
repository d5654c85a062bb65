import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  misgivenFlags,
  misgivenOptions,
  nonNumberValues,
  unknownOptions,
  unknownOptionsMessage,
  withoutRepeatedValues,
} from '../../../src/client/unknown-options.js';

const known = {
  names: ['num_days', 'num-days', 'check_sql', 'check-sql', 'param', 'help'],
  booleans: ['check_sql', 'check-sql'],
};

describe('options no option of a command answers to', () => {
  it('are what the parser would refuse, each once and as typed', () => {
    assert.deepEqual(
      unknownOptions(
        ['--num-dayz', '2', '--num-dayz=3', '--numDays', '4', '--no-check-sql', '--param.key=1', '-q'],
        known,
      ),
      ['--num-dayz', '-q'],
    );
  });

  it('leave values, positional arguments and what follows -- alone', () => {
    assert.deepEqual(unknownOptions(['file.toml', '--num-days', '-3', '-', '--', '--frob'], known), []);
  });

  it('are offered the option they resemble, spelt like them', () => {
    assert.equal(
      unknownOptionsMessage(['--num-dayz', '--no-check_sqll', '--frob'], known),
      'unknown options --num-dayz (did you mean --num-days?), --no-check_sqll (did you mean --no-check_sql?), --frob',
    );
    assert.equal(
      unknownOptionsMessage(['--nmu_days'], known),
      'unknown option --nmu_days (did you mean --num_days?)',
    );
  });
});

describe('options that take a value, given without one or more than once', () => {
  const valued = [
    { names: ['dataset_id', 'dataset-id'], repeatable: false },
    { names: ['sql_output_dir', 'sql-output-dir'], repeatable: false },
    { names: ['num_days', 'num-days'], repeatable: false, number: true },
    { names: ['config_repos', 'config-repos'], repeatable: true },
  ];

  it('name the option as typed and what came instead of its value', () => {
    assert.deepEqual(misgivenOptions(['--dataset_id', '--sql-output-dir', 'sql/'], valued, 'plan'), [
      '--dataset_id needs a value (it is followed by the option --sql-output-dir)',
    ]);
    assert.deepEqual(misgivenOptions(['--sql-output-dir'], valued, 'plan'), [
      '--sql-output-dir needs a value (nothing follows it)',
    ]);
    assert.deepEqual(misgivenOptions(['--datasetId=', 'x.toml'], valued, 'plan'), [
      '--datasetId needs a value (nothing follows the =)',
    ]);
  });

  it('say a one-value option given twice, in either spelling, and leave repeatable ones alone', () => {
    assert.deepEqual(
      misgivenOptions(
        ['--dataset_id', 'a', '--config_repos', 'x', '--dataset-id=b', '--config-repos', 'y'],
        valued,
        'run',
      ),
      ['--dataset_id and --dataset-id (one option) are given 2 values (a, b): contrail run takes one'],
    );
  });

  it('take the same value again, under any name of its option, as one value', () => {
    const argv = ['--dataset_id', 'a', '--dataset-id=a', '--num-days', '2', '--num_days', '2', 'x.toml'];
    assert.deepEqual(misgivenOptions(argv, valued, 'run'), []);
    assert.deepEqual(withoutRepeatedValues(argv, valued), ['--dataset_id', 'a', '--num-days', '2', 'x.toml']);
    assert.equal(withoutRepeatedValues(['--config_repos', 'x', '--config-repos', 'x'], valued), null);
    assert.deepEqual(
      withoutRepeatedValues(['--dataset_id', 'a', '--dataset_id', 'b', '--dataset_id', 'a'], valued),
      ['--dataset_id', 'a', '--dataset_id', 'b'],
    );
  });

  it('name a number option given no number with its value as typed, in any spelling', () => {
    assert.deepEqual(nonNumberValues(['--num-days', 'abc', '--dataset_id', 'abc'], valued), [
      '--num-days "abc": expected a number',
    ]);
    assert.deepEqual(nonNumberValues(['--numDays=3x'], valued), ['--numDays "3x": expected a number']);
    assert.deepEqual(
      nonNumberValues(['--num_days', '-1', '--num-days=1e2', '--num-days', '0x10'], valued),
      [],
    );
    assert.deepEqual(nonNumberValues(['--num-days', '--', '--num-days', 'x'], valued), []);
  });

  it('name a flag given a value other than true or false, in any spelling', () => {
    assert.deepEqual(
      misgivenFlags(
        ['--check-sql=maybe', '--no-check_sql=1', '--checkSql=TRUE', '--check_sql=true', '--check-sql=false'],
        known.booleans,
      ),
      [
        '--check-sql=maybe: a flag takes no value, or true or false',
        '--no-check_sql=1: a flag takes no value, or true or false',
        '--checkSql=TRUE: a flag takes no value, or true or false',
      ],
    );
    assert.deepEqual(
      misgivenFlags(['--num-days=3', '--', '--check-sql=x', '--check-sql'], known.booleans),
      [],
    );
  });

  it('take negative numbers, a lone - and what follows -- as values, and skip other options', () => {
    assert.deepEqual(
      misgivenOptions(
        ['--num-days', '-1', '--dataset_id', '-', '--json', '--frob', '--', '--dataset_id'],
        valued,
        'x',
      ),
      [],
    );
  });
});
