import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalysisSpec, type ExposureSignalSpec, type WindowBound } from '../../../src/config/spec.js';
import { PlanError } from '../../../src/sql/plan/common.js';
import { exposureSignalDates } from '../../../src/sql/plan/exposure.js';

// Start 2020-03-30, enrollment period 7: last enrollment date 2020-04-06 (jetstream's example).
const spec = (startDate: string | null = '2020-03-30') =>
  AnalysisSpec.parse({
    experiment: {
      slug: 'exp',
      appName: 'firefox_desktop',
      status: 'live',
      branches: [{ slug: 'control' }],
      startDate,
      endDate: null,
    },
    enrollmentPeriod: 7,
    enrollmentsQueryType: 'normandy',
    dataSources: {},
    metrics: { day: [], week: [], days28: [], overall: [], preenrollment_week: [], preenrollment_days28: [] },
  });

const signal = (windowStart: WindowBound | null, windowEnd: WindowBound | null): ExposureSignalSpec => ({
  name: 'saw_it',
  friendlyName: null,
  description: null,
  selectExpression: 'saw',
  dataSource: 'events',
  windowStart,
  windowEnd,
  provenance: { file: 'exp.toml', key: 'experiment.exposure_signal', line: 3 },
});

const ENROLLMENTS_TABLE = { startOffset: 0, endOffset: 0 };
const WEEK_2 = { startOffset: 7, endOffset: 13 };

describe('exposureSignalDates (mozanalysis ExposureSignal.build_query with jetstream bounds)', () => {
  const cases: [
    string,
    WindowBound | null,
    WindowBound | null,
    { startOffset: number; endOffset: number },
    string,
    string,
  ][] = [
    ['no bounds: the enrollment period', null, null, ENROLLMENTS_TABLE, '2020-03-30', '2020-04-06'],
    [
      'numeric bounds: days after the first enrollment date',
      -3,
      5,
      ENROLLMENTS_TABLE,
      '2020-03-27',
      '2020-04-04',
    ],
    // mozanalysis tests `if window_end`: 0 falls back to the last enrollment date.
    ['window_end 0 ends on the last enrollment date', 2, 0, ENROLLMENTS_TABLE, '2020-04-01', '2020-04-06'],
    [
      'enrollment_start / enrollment_end',
      'enrollment_start',
      'enrollment_end',
      ENROLLMENTS_TABLE,
      '2020-03-30',
      '2020-04-06',
    ],
    // enrollment_start resolves to 0, so as an end bound it too means the last enrollment date.
    ['enrollment_start as the end', null, 'enrollment_start', WEEK_2, '2020-03-30', '2020-04-06'],
    [
      'analysis window bounds count the enrollment period',
      'analysis_window_start',
      'analysis_window_end',
      WEEK_2,
      '2020-04-13',
      '2020-04-19',
    ],
    [
      'analysis_window_end for the enrollments table',
      0,
      'analysis_window_end',
      ENROLLMENTS_TABLE,
      '2020-03-30',
      '2020-04-06',
    ],
    [
      'a pre-enrollment window',
      0,
      'analysis_window_end',
      { startOffset: -7, endOffset: -1 },
      '2020-03-30',
      '2020-04-05',
    ],
  ];
  for (const [name, start, end, window, first, last] of cases) {
    it(name, () => {
      assert.deepEqual(exposureSignalDates(spec(), signal(start, end), window), { first, last });
    });
  }

  it('refuses an experiment without a start date', () => {
    assert.throws(() => exposureSignalDates(spec(null), signal(null, null), ENROLLMENTS_TABLE), PlanError);
  });
});
