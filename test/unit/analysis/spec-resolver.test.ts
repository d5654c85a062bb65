import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type SpecRequest, SpecResolver } from '../../../src/analysis/spec-resolver.js';
import { localExperimentSource } from '../../../src/experiments/source.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { lastEnrollmentDate } from '../../../src/sql/windows.js';
import { DEMO_CONFIG_REPO, DEMO_EXPERIMENTS_FILE } from '../../helpers/sample.js';

/**
 * A preview on a generated population of an experiment with no start date takes one: its
 * enrollment period ends on the first previewed date, as jetstream's preview does.
 */
describe('the start a preview on a generated population takes', () => {
  const specs = new SpecResolver([DEMO_CONFIG_REPO], localExperimentSource(DEMO_EXPERIMENTS_FILE));
  const METRICS = '[metrics]\ndaily = ["active_hours"]\n';
  const unknown = (config: string, extra: Partial<SpecRequest> = {}) =>
    specs.resolve({
      slug: 'not-launched-yet',
      pin: { configCommit: null },
      configOverride: config,
      lenient: false,
      preview: true,
      platform: 'firefox_desktop',
      ...extra,
    });

  test('an experiment with no start date enrolls over its enrollment period up to the first date', async () => {
    const week = await unknown(METRICS, { enrolledUntil: '2026-03-10' });
    assert.equal(week.assumedStart, '2026-03-03');
    assert.equal(week.spec.experiment.startDate, '2026-03-03');
    assert.equal(lastEnrollmentDate(week.spec), '2026-03-10');
    // The config's enrollment period, when it gives one.
    const three = await unknown(`[experiment]\nenrollment_period = 3\n\n${METRICS}`, {
      enrolledUntil: '2026-03-10',
    });
    assert.equal(three.assumedStart, '2026-03-07');
    assert.equal(lastEnrollmentDate(three.spec), '2026-03-10');
  });

  test('a start date of the config or of the record is kept; without a preview date none is taken', async () => {
    const dated = await unknown(`[experiment]\nstart_date = "2026-02-01"\n\n${METRICS}`, {
      enrolledUntil: '2026-03-10',
    });
    assert.equal(dated.assumedStart, null);
    assert.equal(dated.spec.experiment.startDate, '2026-02-01');

    const launched = await specs.resolve({
      slug: DEMO_SLUG,
      pin: { configCommit: null },
      configOverride: null,
      lenient: false,
      enrolledUntil: '2026-11-01',
    });
    assert.equal(launched.assumedStart, null);
    assert.equal(launched.spec.experiment.startDate, '2026-03-02');

    const undated = await unknown(METRICS);
    assert.equal(undated.assumedStart, null);
    assert.equal(undated.spec.experiment.startDate, null);
  });
});
