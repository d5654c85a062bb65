import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { locateKeys } from '../../../src/config/toml-lines.js';
import { closestName, didYouMean, typoDistance } from '../../../src/suggest.js';

const SOURCE = `# comment [not.a.table]
title = "x" # trailing
[metrics]
weekly = [
  "a",  # first
  'b',
]

[metrics.m1]
select_expression = """
  [not.a.table]
  key = "not a key"
"""
data_source = 'ds'
statistics = { bootstrap_mean = { drop_highest = 0.1 }, binomial = {} }

[metrics.m1.statistics.deciles]
pre_treatments = [
  { name = "log", base = 2 },
]
"dotted.quoted".key = 1
[[alerts]]
a = 1
[[alerts]]
a = 2
`;

describe('locateKeys', () => {
  const lines = locateKeys(SOURCE);
  const cases: [(string | number)[], number | null][] = [
    [['title'], 2],
    [['metrics'], 3],
    [['metrics', 'weekly'], 4],
    [['metrics', 'weekly', 0], 5],
    [['metrics', 'weekly', 1], 6],
    [['metrics', 'm1'], 9],
    [['metrics', 'm1', 'select_expression'], 10],
    [['metrics', 'm1', 'data_source'], 14],
    [['metrics', 'm1', 'statistics', 'binomial'], 15],
    [['metrics', 'm1', 'statistics', 'bootstrap_mean', 'drop_highest'], 15],
    [['metrics', 'm1', 'statistics', 'deciles'], 17],
    [['metrics', 'm1', 'statistics', 'deciles', 'pre_treatments', 0, 'base'], 19],
    [['metrics', 'm1', 'statistics', 'deciles', 'dotted.quoted', 'key'], 21],
    [['alerts', 1, 'a'], 25],
    [['not', 'a', 'table'], null],
    [['key'], null],
    [['metrics', 'm1', 'unknown'], 9],
  ];
  for (const [path, line] of cases) {
    it(`${path.join('.')} → ${line}`, () => assert.equal(lines.lineOf(path), line));
  }
});

describe('did you mean', () => {
  it('suggests close names and period aliases', () => {
    assert.equal(closestName('weeky', ['daily', 'weekly', 'overall']), 'weekly');
    assert.equal(closestName('Bootstrap-Mean', ['bootstrap_mean']), 'bootstrap_mean');
    assert.equal(closestName('completely_different', ['weekly']), null);
    assert.equal(didYouMean('binomal', ['binomial']), " (did you mean 'binomial'?)");
    assert.equal(didYouMean('zzz', ['binomial']), '');
  });

  it('counts two adjacent letters swapped as one typo, so short names still get a suggestion', () => {
    assert.equal(typoDistance('prot', 'port'), 1);
    assert.equal(
      typoDistance('ca', 'abc'),
      3,
      'optimal string alignment: a swapped pair is not edited again',
    );
    assert.equal(typoDistance('', 'abc'), 3);
    assert.equal(typoDistance('kitten', 'sitting'), 3);
    assert.equal(closestName('prot', ['port', 'host']), 'port');
    assert.equal(closestName('staistics', ['statistics', 'segments']), 'statistics');
    assert.equal(closestName('wekely', ['weekly', 'daily']), 'weekly');
  });

  it('suggests analysis_bases for the exposure_basis real configs write on metrics', () => {
    assert.equal(
      closestName('exposure_basis', ['select_expression', 'analysis_bases', 'statistics']),
      'analysis_bases',
    );
    assert.equal(closestName('exposure_basis', ['select_expression', 'statistics']), null);
  });
});
