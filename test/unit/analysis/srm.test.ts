import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrollmentRatioMismatch } from '../../../src/analysis/srm.js';
import type { AnalysisSpec } from '../../../src/config/spec.js';
import { duckdbDialect } from '../../../src/sql/render/duckdb.js';
import type { Warehouse } from '../../../src/warehouse/warehouse.js';
import { testExperiment } from '../../helpers/experiment.js';

/** A warehouse whose enrollments table has these clients per branch (the one query the check runs). */
function enrolled(perBranch: Record<string, number>): Warehouse {
  const rows = Object.entries(perBranch).map(([branch, n]) => ({ branch, n }));
  const fake: Pick<Warehouse, 'tableExists' | 'query' | 'sqlDialect'> = {
    sqlDialect: duckdbDialect(),
    tableExists: async () => true,
    query: async <T>() => rows as T[],
  };
  return fake as Warehouse;
}

const spec = {
  experiment: testExperiment({
    branches: [
      { slug: 'control', ratio: 1 },
      { slug: 'treatment', ratio: 1 },
      { slug: 'treatment-b', ratio: 1 },
    ],
  }),
} as AnalysisSpec;

describe('enrollmentRatioMismatch', () => {
  it('computes no test of zero clients (p = 1 would read as a healthy enrollment) and says why', async () => {
    const warnings: string[] = [];
    assert.equal(await enrollmentRatioMismatch(enrolled({}), spec, 'contrail', warnings), null);
    assert.deepEqual(warnings, [
      'enrollments: no client is enrolled in any branch of the experiment (control, treatment, treatment-b); nothing can be analysed, and the sample ratio test is not computed',
    ]);
  });

  it('names a branch without clients, which has no results', async () => {
    const warnings: string[] = [];
    const srm = await enrollmentRatioMismatch(
      enrolled({ control: 3, treatment: 1 }),
      spec,
      'contrail',
      warnings,
    );
    assert.ok(srm && srm.pValue > 0 && srm.pValue < 1);
    assert.deepEqual(warnings, [
      "enrollments: no client is enrolled in branch 'treatment-b'; it has no results, and no branch is compared with it",
    ]);
  });
});
