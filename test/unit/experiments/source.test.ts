import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Experiment } from '../../../src/experiments/experiment.js';
import {
  defaultExperimentsFile,
  ExperimentsFileError,
  eligibleForDailyRun,
  experimentStatus,
  localExperimentSource,
  notAnalysedReason,
  parseExperimentsFile,
} from '../../../src/experiments/source.js';
import { defaultSampleExperiments } from '../../../src/sample/population.js';

const NOW = new Date('2026-03-20T12:00:00Z');

function v8(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    slug: 'exp',
    appName: 'firefox_desktop',
    branches: [
      { slug: 'control', ratio: 1 },
      { slug: 'treatment', ratio: 1 },
    ],
    startDate: '2026-03-01',
    endDate: null,
    outcomes: [{ slug: 'demo_engagement', priority: 'primary' }],
    ...overrides,
  };
}

function parse(records: unknown[]): Experiment[] {
  return parseExperimentsFile('experiments.json', JSON.stringify(records), NOW);
}

describe('local experiment source', () => {
  test('reads the demo experiments file in Experimenter v8 shape', async () => {
    const source = localExperimentSource(defaultExperimentsFile({}), { now: () => NOW });
    const experiments = await source.list();
    const demo = await source.get('contrail-demo-sidebar');
    assert.ok(demo);
    assert.equal(demo.appName, 'firefox_desktop');
    assert.deepEqual(
      demo.branches.map((b) => [b.slug, b.ratio]),
      [
        ['control', 2],
        ['treatment-a', 1],
        ['treatment-b', 1],
      ],
    );
    assert.deepEqual(demo.outcomes, ['demo_engagement']);
    assert.equal(demo.status, 'live', 'ends 2026-03-29, after "now"');
    assert.equal(await source.get('no-such-experiment'), null);
    assert.ok(experiments.length >= 4);
  });

  test('drafts in the file are seen only through forPreview()', async () => {
    const source = localExperimentSource(defaultExperimentsFile({}), { now: () => NOW });
    assert.equal(await source.get('contrail-demo-reader-view'), null);
    assert.ok((await source.list()).every((e) => e.status !== 'draft'));
    const preview = source.forPreview();
    assert.equal((await preview.get('contrail-demo-reader-view'))?.status, 'draft');
    assert.deepEqual(
      (await preview.list()).map((e) => e.slug).sort(),
      [...(await source.list()).map((e) => e.slug), 'contrail-demo-reader-view'].sort(),
    );
  });

  test('v8 segments and outcomes as objects or bare slugs', () => {
    const [a, b] = parse([
      v8({ slug: 'a', segments: [{ slug: 'us_clients' }], outcomes: [{ slug: 'o', priority: 'primary' }] }),
      v8({ slug: 'b', segments: ['heavy_users'], outcomes: ['o'] }),
    ]);
    assert.deepEqual(a?.segments, ['us_clients']);
    assert.deepEqual(b?.segments, ['heavy_users']);
    assert.deepEqual([a?.outcomes, b?.outcomes], [['o'], ['o']]);
  });

  test("status: jetstream's rule, with drafts as the record says", () => {
    assert.equal(experimentStatus({ startDate: '2026-03-01', endDate: null }, NOW), 'live');
    assert.equal(experimentStatus({ startDate: '2026-03-01', endDate: '2026-03-20' }, NOW), 'live');
    assert.equal(experimentStatus({ startDate: '2026-03-01', endDate: '2026-03-19' }, NOW), 'complete');
    assert.equal(experimentStatus({ startDate: null, endDate: null }, NOW), 'draft');
    assert.equal(experimentStatus({ status: 'Draft', startDate: '2026-03-01', endDate: null }, NOW), 'draft');
    assert.equal(experimentStatus({ status: 'Live', startDate: '2026-03-01', endDate: null }, NOW), 'live');
  });

  test('errors name the file, the record index and the field; every problem at once', () => {
    assert.throws(
      () =>
        parse([
          v8(),
          v8({ slug: 'bad', startDate: '2026-02-30' }),
          v8({ slug: 'no-branches', branches: [] }),
          v8(),
        ]),
      (error: Error) => {
        assert.match(
          error.message,
          /experiments\.json: experiment \[1\] \(bad\), field startDate: not a real calendar date/,
        );
        assert.match(error.message, /experiment \[2\] \(no-branches\), field branches:/);
        assert.match(error.message, /experiment \[3\], field slug: exp is already used by experiment \[0\]/);
        return true;
      },
    );
    assert.throws(() => parseExperimentsFile('x.json', '{"slug": 1}', NOW), /x\.json: expected a JSON array/);
    assert.throws(() => parseExperimentsFile('x.json', '[', NOW), /x\.json: not valid JSON/);
  });

  test('an experiments file that is not UTF-8 is refused at its lines, as a config file is, not read with U+FFFD', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contrail-experiments-'));
    const file = join(dir, 'latin1.json');
    // An é saved as Latin-1 (one byte, 0xE9): decoded as UTF-8 it was U+FFFD, and the experiment
    // was analysed under a name its author never wrote.
    const text = JSON.stringify([v8({ userFacingName: 'Barre latérale' }), v8({ slug: 'café' })], null, 2);
    writeFileSync(file, Buffer.from(text, 'latin1'));
    const lines = text.split('\n');
    const nameLine = lines.findIndex((l) => l.includes('latérale')) + 1;
    const slugLine = lines.findIndex((l) => l.includes('café')) + 1;
    const refused = (error: unknown) => {
      assert.ok(error instanceof ExperimentsFileError);
      assert.equal(
        error.message,
        [
          `${file}:${nameLine}: not UTF-8 text: column ${lines[nameLine - 1]!.indexOf('é') + 1} holds a byte of another encoding (such as Latin-1 or Windows-1252), read as U+FFFD; JSON files are UTF-8: save the file as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8)`,
          `${file}:${slugLine}: not UTF-8 text: column ${lines[slugLine - 1]!.indexOf('é') + 1} holds a byte of another encoding (such as Latin-1 or Windows-1252), read as U+FFFD; JSON files are UTF-8: save the file as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8)`,
        ].join('\n'),
      );
      return true;
    };
    await assert.rejects(localExperimentSource(file, { now: () => NOW }).list(), refused);
    // The synthetic telemetry reads the file the same way.
    assert.throws(() => defaultSampleExperiments(file), refused);
    // Saved as UTF-8, the same records are read.
    writeFileSync(file, text);
    assert.deepEqual(
      (await localExperimentSource(file, { now: () => NOW }).list()).map((e) => e.slug),
      ['exp', 'café'],
    );
  });

  test('a missing file is an error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contrail-experiments-'));
    await assert.rejects(localExperimentSource(join(dir, 'none.json')).list(), /none\.json: cannot read/);
    const file = join(dir, 'one.json');
    writeFileSync(file, JSON.stringify([v8()]));
    assert.deepEqual(
      (await localExperimentSource(file, { now: () => NOW }).list()).map((e) => e.slug),
      ['exp'],
    );
  });

  test('defaultExperimentsFile: CONTRAIL_EXPERIMENTS_FILE, else the demo file', () => {
    assert.equal(defaultExperimentsFile({ CONTRAIL_EXPERIMENTS_FILE: '/x/e.json' }), '/x/e.json');
    assert.match(defaultExperimentsFile({}), /src\/sample\/experiments\.json$/);
  });
});

describe('eligibleForDailyRun', () => {
  const [live, ended, endedLongAgo, rollout, ios, draft, otherPlatform] = parse([
    v8({ slug: 'live' }),
    v8({ slug: 'ended', endDate: '2026-03-10' }),
    v8({ slug: 'ended-long-ago', startDate: '2025-10-01', endDate: '2025-12-01' }),
    v8({ slug: 'rollout', isRollout: true }),
    v8({ slug: 'ios', appName: 'firefox_ios' }),
    v8({ slug: 'draft', startDate: null }),
    v8({ slug: 'vpn', appName: 'mozilla_vpn' }),
  ]) as Experiment[];

  test('live, or ended within 90 days; not rollouts, drafts or unsupported platforms', () => {
    const date = '2026-03-20';
    assert.equal(eligibleForDailyRun(live as Experiment, date), true);
    assert.equal(eligibleForDailyRun(ended as Experiment, date), true);
    assert.equal(eligibleForDailyRun(ended as Experiment, '2026-06-08'), true, 'ended 90 days before');
    assert.equal(eligibleForDailyRun(ended as Experiment, '2026-06-09'), false, 'ended 91 days before');
    assert.equal(eligibleForDailyRun(endedLongAgo as Experiment, date), false);
    assert.equal(eligibleForDailyRun(rollout as Experiment, date), false);
    assert.equal(eligibleForDailyRun(ios as Experiment, date), true);
    assert.equal(eligibleForDailyRun(draft as Experiment, date), false);
    assert.equal(eligibleForDailyRun(otherPlatform as Experiment, date), false);
  });

  test('a rollout, an app not analysed or an experiment still enrolling has nothing due on any date, also when asked for by name', async () => {
    const { outsideAnalysableDates } = await import('../../../src/analysis/analysable-dates.js');
    const { analysableDates } = await import('../../../src/analysis/plan-day.js');
    const { loadConfigCollection } = await import('../../../src/config/collection.js');
    const { resolveAnalysisSpec } = await import('../../../src/config/resolve.js');
    const { DEMO_CONFIG_REPO } = await import('../../helpers/sample.js');
    const collection = await loadConfigCollection({ repos: [DEMO_CONFIG_REPO] });
    const reason = (experiment: Experiment, configFile?: string) =>
      outsideAnalysableDates(
        analysableDates(resolveAnalysisSpec(collection, experiment, configFile ? { configFile } : {}).spec),
        '2026-04-20',
      );
    assert.equal(reason(rollout as Experiment), 'rollout is a rollout: rollouts are not analysed');
    // An app the demo repo has no definitions for: said before any config is read for it.
    assert.match(
      notAnalysedReason(otherPlatform as Experiment) ?? '',
      /^vpn is for mozilla_vpn, which is not analysed \(analysed: firefox_desktop, fenix/,
    );
    // Still enrolling as its record says (no end of enrollment), whatever its proposed
    // enrollment: jetstream's EnrollmentNotComplete, unless the config gives enrollment_period.
    assert.equal(
      reason(live as Experiment),
      'live is still enrolling: its Experimenter record has no end of enrollment yet; an [experiment] enrollment_period in its config analyses it before then',
    );
    assert.equal(reason({ ...(live as Experiment), enrollmentEndDate: '2026-03-07' }), null);
    assert.equal(reason(live as Experiment, '[experiment]\nenrollment_period = 7\n'), null);
  });
});
