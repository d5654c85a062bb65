import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workflowIds } from '../../../src/workflows/ids.js';

/** Temporal's default `limit.maxIDLength`: a longer id is refused when the workflow starts. */
const TEMPORAL_MAX_ID_LENGTH = 1000;

test('a backfill of a few experiments names each of them in its id, in any order', () => {
  assert.equal(
    workflowIds.backfill(['b-exp', 'a-exp'], '2026-03-09', '2026-03-22'),
    'backfill/a-exp+b-exp/2026-03-09..2026-03-22',
  );
});

test('a backfill of many experiments has an id Temporal accepts, the same for the same experiments', () => {
  const slugs = Array.from({ length: 200 }, (_, i) => `an-experiment-with-a-long-slug-${i}`);
  const id = workflowIds.backfill(slugs, '2026-03-09', '2026-03-22', 'results_v2');
  assert.ok(id.length <= TEMPORAL_MAX_ID_LENGTH, `${id.length} characters`);
  assert.match(
    id,
    /^backfill\/results_v2\/an-experiment-with-a-long-slug-0\+199-more-[0-9a-f]{16}\/2026-03-09\.\.2026-03-22$/,
  );
  assert.equal(workflowIds.backfill([...slugs].reverse(), '2026-03-09', '2026-03-22', 'results_v2'), id);
  const other = [...slugs.slice(0, -1), 'another-experiment-with-a-long-slug'];
  assert.notEqual(workflowIds.backfill(other, '2026-03-09', '2026-03-22', 'results_v2'), id);
});
