import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unknownOptions, unknownOptionsMessage } from '../../../src/client/unknown-options.js';

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
