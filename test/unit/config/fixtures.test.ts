import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfigCollection } from '../../../src/config/collection.js';
import { choosePlatform, placeholderExperiment } from '../../../src/config/platform.js';
import { ConfigError, formatProblem } from '../../../src/config/problems.js';
import { resolveAnalysisSpec } from '../../../src/config/resolve.js';
import { metricHubFixtures } from '../../helpers/fixtures.js';

/**
 * The real metric-hub configs in ../shared/fixtures/metric-hub: every file parses, and every
 * experiment config resolves for the platform `contrail validate` would choose.
 * The configs that are genuinely invalid are pinned, with their exact messages, in
 * fixture-problems.expected.txt (run with UPDATE_FIXTURE_PROBLEMS=1 to rewrite it after review).
 */
const FIXTURES = metricHubFixtures();
const EXPECTED = join(import.meta.dirname, 'fixture-problems.expected.txt');

describe('real metric-hub fixtures', () => {
  it('every file parses and every experiment config resolves for its platform', async () => {
    const collection = await loadConfigCollection({ repos: [FIXTURES] });
    const structural = collection.files.flatMap((f) => f.errors);
    assert.deepEqual(structural.map(formatProblem), [], 'every fixture file parses');
    assert.ok(collection.files.length > 400);

    const lines: string[] = [];
    const show = (text: string) => text.replaceAll(`${FIXTURES}/`, '');
    let resolved = 0;
    for (const slug of collection.experimentSlugs().sort()) {
      const file = collection.experimentFiles(slug)[0];
      assert.ok(file);
      // As `contrail validate` chooses it for a config whose experiment is not in the source.
      const choice = choosePlatform(collection, file, {});
      if (choice.note) lines.push(`${slug}: ${choice.note}`);
      {
        const platform = choice.platform;
        for (const lenient of [false, true]) {
          try {
            resolveAnalysisSpec(collection, placeholderExperiment(file, platform), { lenient });
            resolved += 1;
          } catch (error) {
            if (!(error instanceof ConfigError)) throw error;
            for (const p of error.problems)
              lines.push(show(`${slug} [${platform}${lenient ? ', lenient' : ''}] ${formatProblem(p)}`));
          }
        }
      }
    }
    const actual = `${lines.join('\n')}\n`;
    if (process.env.UPDATE_FIXTURE_PROBLEMS) writeFileSync(EXPECTED, actual);
    assert.equal(
      actual,
      readFileSync(EXPECTED, 'utf8'),
      `problems differ from ${relative(process.cwd(), EXPECTED)}`,
    );
    assert.ok(resolved > 600, `${resolved} resolutions succeeded`);
    console.log(`${resolved} resolutions succeeded`);
  });
});
