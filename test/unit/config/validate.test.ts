import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { main } from '../../../src/client/cli.js';
import { type ConfigCollection, loadConfigCollection } from '../../../src/config/collection.js';
import { parseConfigFile } from '../../../src/config/parse.js';
import { inferPlatform, placeholderExperiment } from '../../../src/config/platform.js';
import { validateConfigFile } from '../../../src/config/validate.js';

const REPO = join('test', 'fixtures', 'config', 'repo');
const GOOD = join(REPO, 'jetstream', 'good-experiment.toml');
const BROKEN = join('test', 'fixtures', 'config', 'broken');

describe('validate', () => {
  let collection: ConfigCollection;
  before(async () => {
    collection = await loadConfigCollection({ repos: [REPO] });
  });

  it('infers the platform from the definitions that cover every reference', () => {
    assert.deepEqual(inferPlatform(collection, parseConfigFile(GOOD)), {
      platform: 'firefox_desktop',
      candidates: ['firefox_desktop'],
    });
    assert.deepEqual(inferPlatform(collection, parseConfigFile(join(BROKEN, 'unknown-metric.toml'))), {
      platform: null,
      candidates: [],
    });
  });

  it('builds a placeholder experiment from the file', () => {
    const experiment = placeholderExperiment(parseConfigFile(GOOD), 'firefox_desktop');
    assert.equal(experiment.slug, 'good-experiment');
    assert.equal(experiment.startDate, '2024-01-01');
    assert.equal(experiment.status, 'complete');
    assert.deepEqual(
      experiment.branches.map((b) => b.slug),
      ['control', 'treatment'],
    );
  });

  it('accepts a valid experiment config and rejects a broken one', () => {
    const good = validateConfigFile(collection, GOOD);
    assert.deepEqual(
      { platform: good.platform, errors: good.errors, warnings: good.warnings, notes: good.notes },
      { platform: 'firefox_desktop', errors: [], warnings: [], notes: [] },
    );
    const broken = validateConfigFile(collection, join(BROKEN, 'unknown-data-source.toml'), {
      platform: 'firefox_desktop',
    });
    assert.equal(broken.errors[0]?.line, 6);
    const unknown = validateConfigFile(collection, join(BROKEN, 'unknown-metric.toml'));
    assert.equal(unknown.platform, 'firefox_desktop');
    assert.match(
      unknown.errors[0]?.message ?? '',
      /metric 'active_hour' is not defined .*did you mean 'active_hours'/,
    );
    assert.match(validateConfigFile(collection, 'missing.toml').errors[0]?.message ?? '', /file not found/);
  });

  it('contrail validate exits 0 when all files are valid and 1 otherwise', async () => {
    const write = process.stdout.write;
    const out: string[] = [];
    process.stdout.write = ((chunk: string) => out.push(chunk) > 0) as typeof process.stdout.write;
    const stderr = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      assert.equal(await main(['validate', GOOD, '--config_repos', REPO]), 0);
      assert.equal(
        await main(['validate', GOOD, join(BROKEN, 'period-week.toml'), '--config-repos', REPO]),
        1,
      );
    } finally {
      process.stdout.write = write;
      process.stderr.write = stderr;
      process.exitCode = undefined;
    }
    assert.ok(
      out
        .join('')
        .includes("period-week.toml:2: metrics.week: 'week' is not a period list (did you mean 'weekly'?)"),
    );
  });
});
