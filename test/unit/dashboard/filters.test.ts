import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pageFilters } from '../../../src/dashboard/filters.js';

const rows = [
  { parameter: '0.1', comparison_to_branch: null },
  { parameter: '0.5', comparison_to_branch: 'control' },
  { parameter: '0.9', comparison_to_branch: 'treatment-a' },
];

describe('the filters the page applies to its rows', () => {
  test('values the URL asks for are shown when the rows have them, silently', () => {
    const chosen = pageFilters(rows, { parameter: '0.9', reference: 'treatment-a' });
    assert.equal(chosen.parameter, '0.9');
    assert.equal(chosen.reference, 'treatment-a');
    assert.deepEqual(chosen.notices, []);
    assert.deepEqual(chosen.parameters, ['0.1', '0.5', '0.9']);
    assert.deepEqual(chosen.references, ['control', 'treatment-a']);
  });

  test('without a value in the URL: the median and control, silently', () => {
    const chosen = pageFilters(rows, { parameter: null, reference: null });
    assert.equal(chosen.parameter, '0.5');
    assert.equal(chosen.reference, 'control');
    assert.deepEqual(chosen.notices, []);
  });

  test('an unknown reference or parameter falls back with a notice, as the server filters say it', () => {
    const chosen = pageFilters(rows, { parameter: '0.75', reference: 'contrl' });
    assert.equal(chosen.parameter, '0.5');
    assert.equal(chosen.reference, 'control');
    assert.deepEqual(chosen.notices, [
      "parameter '0.75' is not available here; showing '0.5' (available: 0.1, 0.5, 0.9)",
      "reference branch 'contrl' is not available here; showing 'control' (available: control, treatment-a)",
    ]);
  });

  test('a filter the selection does not have (a mean has no parameter) says nothing', () => {
    const chosen = pageFilters([{ parameter: null, comparison_to_branch: null }], {
      parameter: '0.9',
      reference: 'control',
    });
    assert.equal(chosen.parameter, null);
    assert.equal(chosen.reference, null);
    assert.deepEqual(chosen.notices, []);
  });
});
