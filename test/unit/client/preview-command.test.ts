import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type PreviewableConfig, previewCommands } from '../../../src/client/preview-command.js';
import { shellWord } from '../../../src/client/shell-words.js';

describe('the preview commands validate prints', () => {
  const config = (slug: string, fields: Partial<PreviewableConfig> = {}): PreviewableConfig => ({
    file: `jetstream/${slug}.toml`,
    slug,
    platform: 'fenix',
    known: true,
    enrolled: true,
    ...fields,
  });

  test('a draft or an experiment still enrolling needs a generated population; one no source knows, its platform too', () => {
    const [, draft, unknown] = previewCommands([
      config('draft', { enrolled: false }),
      config('new', { known: false, enrolled: false }),
    ]);
    assert.equal(
      draft,
      '  contrail preview --experiment_slug draft --config_file jetstream/draft.toml --generate-population',
    );
    assert.equal(
      unknown,
      '  contrail preview --experiment_slug new --config_file jetstream/new.toml --platform fenix --generate-population',
    );
  });

  test('a few commands, then how many more; none without a valid experiment config', () => {
    const lines = previewCommands(['a', 'b', 'c', 'd', 'e'].map((slug) => config(slug)));
    assert.equal(lines.length, 5);
    assert.equal(lines.at(-1), '  (and likewise for the 2 other experiment configs)');
    assert.deepEqual(previewCommands([]), []);
  });

  test('paths with spaces or quotes are pasted as one word each', () => {
    const [, line] = previewCommands([config('x', { file: "my configs/it's.toml" })], {
      configRepos: ['/home/me/metric hub'],
      experimentsFile: 'fleet.json',
    });
    assert.equal(
      line,
      "  contrail preview --experiment_slug x --config_file 'my configs/it'\\''s.toml' --config_repos '/home/me/metric hub' --experiments_file fleet.json",
    );
    assert.equal(shellWord('a/b-c_d.toml'), 'a/b-c_d.toml');
    assert.equal(shellWord('$HOME'), "'$HOME'");
    assert.equal(shellWord(''), "''");
  });
});
