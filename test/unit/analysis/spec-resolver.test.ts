import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type SpecRequest, SpecResolver } from '../../../src/analysis/spec-resolver.js';
import { localExperimentSource } from '../../../src/experiments/source.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { lastEnrollmentDate, windowsDueOn } from '../../../src/sql/windows.js';
import { metricHubFixtures } from '../../helpers/fixtures.js';
import { DEMO_CONFIG_REPO, DEMO_EXPERIMENTS_FILE } from '../../helpers/sample.js';

/**
 * A preview on a generated population of an experiment whose enrollment does not end by its
 * first date takes one that does: the enrollment period ends on the first previewed date, as
 * jetstream's preview takes every experiment.
 */
describe('the enrollment a preview on a generated population takes', () => {
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
  const demo = (enrolledUntil: string | null) =>
    specs.resolve({
      slug: DEMO_SLUG,
      pin: { configCommit: null },
      configOverride: null,
      lenient: false,
      enrolledUntil,
    });

  test('an experiment with no start date enrolls over its enrollment period up to the first date', async () => {
    const week = await unknown(METRICS, { enrolledUntil: '2026-03-10' });
    assert.deepEqual(week.assumed, { startDate: '2026-03-03', ownStartDate: null });
    assert.equal(week.spec.experiment.startDate, '2026-03-03');
    assert.equal(lastEnrollmentDate(week.spec), '2026-03-10');
    // The config's enrollment period, when it gives one.
    const three = await unknown(`[experiment]\nenrollment_period = 3\n\n${METRICS}`, {
      enrolledUntil: '2026-03-10',
    });
    assert.equal(three.assumed?.startDate, '2026-03-07');
    assert.equal(lastEnrollmentDate(three.spec), '2026-03-10');
    // Not a preview on a generated population: no start is taken.
    const undated = await unknown(METRICS);
    assert.equal(undated.assumed, null);
    assert.equal(undated.spec.experiment.startDate, null);
  });

  test('an experiment still enrolling on the first date is moved; one whose enrollment is over keeps its dates', async () => {
    const enrolling = await demo('2026-03-05');
    assert.equal(enrolling.assumed?.ownStartDate, '2026-03-02');
    assert.equal(lastEnrollmentDate(enrolling.spec), '2026-03-05');
    assert.equal(enrolling.spec.enrollmentPeriod, (await demo(null)).spec.enrollmentPeriod);

    const over = await demo('2026-11-01');
    assert.equal(over.assumed, null);
    assert.equal(over.spec.experiment.startDate, '2026-03-02');
  });

  test('an end date before the first date is set aside: the experiment would end before the enrollment taken', async () => {
    const ended = await unknown(`[experiment]\nend_date = "2021-05-26"\n\n${METRICS}`, {
      enrolledUntil: '2026-03-10',
    });
    assert.deepEqual(ended.assumed, {
      startDate: '2026-03-03',
      ownStartDate: null,
      endDateSetAside: '2021-05-26',
    });
    assert.equal(ended.spec.experiment.endDate, null);
    assert.notEqual(ended.spec.experiment.status, 'complete');
    // The first previewed day is due, as for an experiment with no end date.
    assert.ok(windowsDueOn(ended.spec, '2026-03-11').length > 0);
    // One on or after the first date stands: the author's end, within what is previewed.
    const later = await unknown(`[experiment]\nend_date = "2026-03-12"\n\n${METRICS}`, {
      enrolledUntil: '2026-03-10',
    });
    assert.equal(later.spec.experiment.endDate, '2026-03-12');
    assert.equal(later.assumed?.endDateSetAside, undefined);
  });

  test("a start_date in the config stands, earlier or later: it is the author's", async () => {
    // The first previewed date itself too: the start taken to render the config first is not the author's.
    for (const start of ['2026-02-01', '2026-03-10', '2026-04-01']) {
      const dated = await unknown(`[experiment]\nstart_date = "${start}"\n\n${METRICS}`, {
        enrolledUntil: '2026-03-10',
      });
      assert.equal(dated.assumed, null);
      assert.equal(dated.spec.experiment.startDate, start);
    }
  });

  test('an undated experiment whose SQL reads its start date is rendered with the start taken', async () => {
    // A real config: its enrollment query reads {{experiment.start_date_str}} and
    // {{experiment.last_enrollment_date_str}}; validate suggests previewing it on a generated population.
    const slug = 'churn-risk-os-notification';
    const hub = new SpecResolver([metricHubFixtures()], localExperimentSource(DEMO_EXPERIMENTS_FILE));
    const request: SpecRequest = {
      slug,
      pin: { configCommit: null },
      configOverride: readFileSync(join(metricHubFixtures(), 'jetstream', `${slug}.toml`), 'utf8'),
      lenient: false,
      preview: true,
      platform: 'firefox_desktop',
      enrolledUntil: '2026-03-10',
    };
    const previewed = await hub.resolve(request);
    // enrollment_period = 7 in the config.
    assert.deepEqual(previewed.assumed, { startDate: '2026-03-03', ownStartDate: null });
    assert.match(previewed.spec.enrollmentQuery ?? '', /'2026-03-03' AND\s+'2026-03-10'/);
    // The preview's default dates are read before it takes a start: the experiment as it is,
    // not launched, although its SQL cannot be rendered without a start date.
    const { enrolledUntil: _, ...asItIs } = request;
    await assert.rejects(hub.resolve(asItIs), /has no start date/);
    const dated = await hub.datesOf(asItIs, '2026-03-20');
    assert.equal(dated.experiment.startDate, null);
    assert.equal(dated.experiment.endDate, null);
    // A problem of its SQL other than the start date it lacks is said as it is.
    const broken = {
      ...asItIs,
      configOverride: (asItIs.configOverride ?? '').replace(
        '{{experiment.normandy_slug}}',
        '{{experiment.normandy_slug | nope}}',
      ),
    };
    await assert.rejects(hub.datesOf(broken, '2026-03-20'), /template error: filter not found: nope/);
  });
});
