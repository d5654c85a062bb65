import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExperimentsFileError } from '../../../src/experiments/source.js';
import {
  DEMO_SLUG,
  defaultSampleExperiments,
  sampleExperimentsJson,
} from '../../../src/sample/population.js';

/** An experiments file with the demo's experiments and `copies` more like the demo one. */
function fleetFile(copies: number): string {
  const demo = sampleExperimentsJson() as { slug: string; id: number }[];
  const sidebar = demo.find((e) => e.slug === DEMO_SLUG)!;
  const fleet = Array.from({ length: copies }, (_, i) => ({
    ...sidebar,
    slug: `fleet-${i}`,
    id: 50_000 + i,
  }));
  const file = join(mkdtempSync(join(tmpdir(), 'contrail-fleet-')), 'experiments.json');
  writeFileSync(file, JSON.stringify([...demo, ...fleet]));
  return file;
}

test("the sample enrolls clients in every launched desktop experiment of an operator's experiments file", () => {
  const experiments = defaultSampleExperiments(fleetFile(30));
  const slugs = experiments.map((e) => e.slug);
  for (let i = 0; i < 30; i++) assert.ok(slugs.includes(`fleet-${i}`), `fleet-${i} is sampled`);
  for (const e of experiments) assert.ok(e.share > 0, `${e.slug} gets clients`);
  const total = experiments.reduce((sum, e) => sum + e.share, 0);
  assert.ok(total <= 0.9 + 1e-9, `shares add up to ${total}: some clients stay outside every experiment`);
  const copy = experiments.find((e) => e.slug === 'fleet-0')!;
  assert.equal(copy.enrollmentStart, '2026-03-02');
  assert.deepEqual(copy.effects, {});
});

test("the demo file's experiments keep their planned shares", () => {
  const shares = Object.fromEntries(defaultSampleExperiments().map((e) => [e.slug, e.share]));
  assert.equal(shares[DEMO_SLUG], 0.7);
  assert.equal(shares['contrail-demo-search-bar'], 0.05);
});

test('an experiments file that cannot be read is named', () => {
  assert.throws(
    () => defaultSampleExperiments('/nonexistent/experiments.json'),
    (error: unknown) =>
      error instanceof ExperimentsFileError && /\/nonexistent\/experiments\.json/.test(error.message),
  );
});
