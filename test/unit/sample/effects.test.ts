import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withEffects } from '../../../src/sample/effects.js';
import { defaultSampleExperiments } from '../../../src/sample/population.js';

test('--effect overrides one branch and metric and keeps the rest', () => {
  const base = defaultSampleExperiments();
  const changed = withEffects(base, ['contrail-demo-sidebar:treatment-a:active_hours=0.25']);
  const sidebar = changed.find((e) => e.slug === 'contrail-demo-sidebar')!;
  assert.equal(sidebar.effects['treatment-a']?.active_hours, 0.25);
  const before = base.find((e) => e.slug === 'contrail-demo-sidebar')!;
  assert.equal(sidebar.effects['treatment-a']?.search_count, before.effects['treatment-a']?.search_count);
  assert.notEqual(before.effects['treatment-a']?.active_hours, 0.25, 'the input is not modified');
});

test('a wrong --effect names the part that is wrong and the valid choices', () => {
  const base = defaultSampleExperiments();
  assert.throws(
    () => withEffects(base, ['nope']),
    /expected <experiment>:<branch>:<metric>=<relative change>/,
  );
  assert.throws(
    () => withEffects(base, ['x:control:active_hours=0.1']),
    /no experiment x; valid: contrail-demo-sidebar/,
  );
  assert.throws(
    () => withEffects(base, ['contrail-demo-sidebar:treatment-c:active_hours=0.1']),
    /has no branch treatment-c; valid: control, treatment-a, treatment-b/,
  );
  assert.throws(
    () => withEffects(base, ['contrail-demo-sidebar:control:active_minutes=0.1']),
    /expected a metric of active_hours, uri_count/,
  );
  assert.throws(() => withEffects(base, ['contrail-demo-sidebar:control:active_hours=-2']), /above -1/);
});
