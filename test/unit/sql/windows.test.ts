import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { experimentDates } from '../../../src/analysis/plan-day.js';
import type { AnalysisPeriod } from '../../../src/config/periods.js';
import { AnalysisSpec, type MetricSpec } from '../../../src/config/spec.js';
import { addDays, dateRange } from '../../../src/dates.js';
import {
  EnrollmentLongerThanAnalysisError,
  lastAnalysisDate,
  lastDueDate,
  lastEnrollmentDate,
  windowsDueOn,
  windowsThrough,
} from '../../../src/sql/windows.js';

function spec(overrides: {
  start?: string | null;
  end?: string | null;
  status?: 'live' | 'complete';
  enrollmentPeriod?: number;
}) {
  return AnalysisSpec.parse({
    experiment: {
      slug: 'exp',
      appName: 'firefox_desktop',
      status: overrides.status ?? 'live',
      branches: [{ slug: 'control' }],
      startDate: overrides.start === undefined ? '2020-03-30' : overrides.start,
      endDate: overrides.end ?? null,
    },
    enrollmentPeriod: overrides.enrollmentPeriod ?? 7,
    enrollmentsQueryType: 'normandy',
    dataSources: {},
    metrics: { day: [], week: [], days28: [], overall: [], preenrollment_week: [], preenrollment_days28: [] },
  });
}

const label = (ws: { period: string; windowIndex: number; startOffset: number; endOffset: number }[]) =>
  ws.map((w) => `${w.period}_${w.windowIndex}[${w.startOffset},${w.endOffset}]`);

describe('windowsDueOn', () => {
  it('computes the last enrollment date as start + enrollment period', () => {
    assert.equal(lastEnrollmentDate(spec({})), '2020-04-06');
    assert.equal(addDays('2020-02-28', 2), '2020-03-01');
  });

  const cases: [string, string, string[]][] = [
    ['before enrollment ends nothing is due', '2020-04-05', []],
    ['the last enrollment date completes day 1', '2020-04-06', ['day_1[0,0]']],
    [
      'pre-enrollment periods once, on start + dates_enrollment',
      '2020-04-07',
      ['day_2[1,1]', 'preenrollment_week_1[-7,-1]', 'preenrollment_days28_1[-28,-1]'],
    ],
    ["the note's example: week_1 on 2020-04-12", '2020-04-12', ['day_7[6,6]', 'week_1[0,6]']],
    ['the day after week 1 only a day window', '2020-04-13', ['day_8[7,7]']],
    ['week 2 completes 7 days later', '2020-04-19', ['day_14[13,13]', 'week_2[7,13]']],
    [
      'days28 window 1 completes on day 27',
      '2020-05-03',
      ['day_28[27,27]', 'week_4[21,27]', 'days28_1[0,27]'],
    ],
  ];
  for (const [name, date, expected] of cases) {
    it(name, () => assert.deepEqual(label(windowsDueOn(spec({}), date)), expected));
  }

  it('overall only on the end date of a complete experiment', () => {
    const complete = spec({ end: '2020-05-01', status: 'complete' });
    // (end − start) − dates_enrollment = 32 − 8 = 24
    assert.deepEqual(label(windowsDueOn(complete, '2020-05-01', ['overall'])), ['overall_1[0,24]']);
    assert.deepEqual(windowsDueOn(complete, '2020-04-30', ['overall']), []);
    assert.deepEqual(
      windowsDueOn(spec({ end: '2020-05-01', status: 'live' }), '2020-05-01', ['overall']),
      [],
    );
  });

  it('nothing after the end date: the last windows complete on it', () => {
    const ended = spec({ end: '2020-05-01', status: 'complete' });
    assert.deepEqual(label(windowsDueOn(ended, '2020-05-01', ['day'])), ['day_26[25,25]']);
    assert.deepEqual(windowsDueOn(ended, '2020-05-02'), []);
    assert.deepEqual(windowsDueOn(ended, '2020-05-03', ['week']), []);
    assert.deepEqual(windowsThrough(ended, '2021-01-01'), windowsThrough(ended, '2020-05-01'));
  });

  it('refuses an enrollment longer than the experiment', () => {
    const short = spec({ end: '2020-04-06', status: 'complete' });
    assert.throws(() => windowsDueOn(short, '2020-04-06', ['overall']), EnrollmentLongerThanAnalysisError);
  });

  it('has nothing to do without a start date', () => {
    assert.deepEqual(windowsDueOn(spec({ start: null }), '2020-04-12'), []);
    assert.equal(lastAnalysisDate(spec({ start: null }), '2020-04-12'), null);
  });

  it('limits to the requested periods', () => {
    assert.deepEqual(label(windowsDueOn(spec({}), '2020-04-12', ['week'])), ['week_1[0,6]']);
  });

  it('analyses up to the day after the end date, never past today', () => {
    assert.equal(
      lastAnalysisDate(spec({ end: '2020-05-01', status: 'complete' }), '2021-01-01'),
      '2020-05-02',
    );
    assert.equal(lastAnalysisDate(spec({ end: '2020-05-01' }), '2020-04-20'), '2020-04-20');
    assert.equal(lastAnalysisDate(spec({}), '2020-04-20'), '2020-04-20');
  });
});

describe('lastDueDate', () => {
  /** The spec with one metric in each of `periods` (only whether a period has metrics matters here). */
  const withMetrics = (s: AnalysisSpec, periods: AnalysisPeriod[]): AnalysisSpec => ({
    ...s,
    metrics: { ...s.metrics, ...Object.fromEntries(periods.map((p) => [p, [{ name: 'm' } as MetricSpec]])) },
  });

  it('the last date a window of the asked periods completes, at or before the given date', () => {
    const live = withMetrics(spec({}), ['day', 'week']);
    assert.equal(lastDueDate(live, '2020-04-15'), '2020-04-15');
    // Week 1 completes on 2020-04-12, week 2 on 2020-04-19.
    assert.equal(lastDueDate(live, '2020-04-15', ['week']), '2020-04-12');
    assert.equal(lastDueDate(live, '2020-04-19', ['week']), '2020-04-19');
    // Nothing before enrollment ends.
    assert.equal(lastDueDate(live, '2020-04-05', ['day', 'week']), null);
  });

  it('periods without metrics do not count: a config with weekly metrics only ends on a week', () => {
    assert.equal(lastDueDate(withMetrics(spec({}), ['week']), '2020-04-15'), '2020-04-12');
    assert.equal(lastDueDate(spec({}), '2020-04-15'), null);
  });

  it('the overall window of a complete experiment: its end date, also when asked the day after', () => {
    const complete = withMetrics(spec({ end: '2020-05-01', status: 'complete' }), ['overall']);
    assert.equal(lastDueDate(complete, '2020-05-02', ['overall']), '2020-05-01');
  });
});

describe('windowsThrough', () => {
  it('is every window due on some date up to the date, in period order', () => {
    const complete = spec({ end: '2020-05-20', status: 'complete' });
    for (const through of ['2020-04-05', '2020-04-07', '2020-04-19', '2020-05-20', '2020-06-01']) {
      const due = dateRange('2020-03-30', through).flatMap((date) => label(windowsDueOn(complete, date)));
      assert.deepEqual(label(windowsThrough(complete, through)).sort(), due.sort(), through);
    }
    assert.deepEqual(label(windowsThrough(complete, '2020-04-14', ['week', 'day'])), [
      'week_1[0,6]',
      'day_1[0,0]',
      'day_2[1,1]',
      'day_3[2,2]',
      'day_4[3,3]',
      'day_5[4,4]',
      'day_6[5,5]',
      'day_7[6,6]',
      'day_8[7,7]',
      'day_9[8,8]',
    ]);
  });

  it('refuses to choose dates for an experiment that ends before its enrollment, naming its dates, as a run refuses it', () => {
    // A one-day experiment: no window of any period ever completes, so every date of a preview
    // would be 'nothing due'; the reason is the experiment's dates.
    for (const [enrollmentPeriod, days] of [
      [1, -1],
      [0, 0],
    ] as const) {
      for (const status of ['complete', 'live'] as const) {
        const oneDay = spec({ end: '2020-03-30', status, enrollmentPeriod });
        assert.throws(
          () => experimentDates(oneDay, '2020-04-10', ['day', 'week']),
          (e: Error) =>
            e instanceof EnrollmentLongerThanAnalysisError &&
            e.message.includes(`the overall window would be ${days} days long`) &&
            e.message.includes(
              `(start_date 2020-03-30, end_date 2020-03-30, enrollment_period ${enrollmentPeriod})`,
            ),
        );
      }
    }
    const ok = experimentDates(
      spec({ end: '2020-03-31', status: 'complete', enrollmentPeriod: 0 }),
      '2020-04-10',
    );
    assert.equal(ok.lastAnalysisDate, '2020-04-01');
  });

  it('leaves out an overall window that cannot exist instead of failing', () => {
    const tooShort = spec({ end: '2020-04-05', status: 'complete' });
    assert.throws(() => windowsDueOn(tooShort, '2020-04-05'), EnrollmentLongerThanAnalysisError);
    assert.deepEqual(label(windowsThrough(tooShort, '2020-04-10', ['overall'])), []);
  });
});
