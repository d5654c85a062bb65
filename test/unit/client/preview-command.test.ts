import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildParser } from '../../../src/client/cli.js';
import { commands } from '../../../src/client/commands/index.js';
import { type PreviewableConfig, previewCommands } from '../../../src/client/preview-command.js';
import { shellWord } from '../../../src/shell-words.js';

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
      '  contrail preview --experiment_slug draft --config_file jetstream/draft.toml --generate_population',
    );
    assert.equal(
      unknown,
      '  contrail preview --experiment_slug new --config_file jetstream/new.toml --platform fenix --generate_population',
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

  test('each command it prints is one the CLI takes, with the values it names', async () => {
    const configRepo = fileURLToPath(new URL('../../../src/sample/metric-hub', import.meta.url));
    const experimentsFile = join(mkdtempSync(join(tmpdir(), 'contrail-preview-command-')), 'fleet.json');
    writeFileSync(experimentsFile, '[]');
    const lines = previewCommands(
      [
        config('live'),
        config('draft', { enrolled: false }),
        config('new', { known: false, enrolled: false }),
      ],
      { configRepos: [configRepo], experimentsFile },
    );
    const parsed: Record<string, unknown>[] = [];
    const commandsOnly = commands.map((c) => ({
      ...c,
      handler: (args: Record<string, unknown>) => {
        parsed.push(args);
      },
    }));
    for (const line of lines.slice(1)) {
      const words = line.trim().split(' ');
      assert.equal(words.shift(), 'contrail');
      await assert.doesNotReject(buildParser(words, commandsOnly).parseAsync(), line);
    }
    const fields = parsed.map((args) => ({
      slug: args.experiment_slug,
      file: args.config_file,
      platform: args.platform,
      generated: args.generate_population,
      repos: args.config_repos,
      experiments: args.experiments_file,
    }));
    const shared = { repos: [configRepo], experiments: experimentsFile };
    assert.deepEqual(fields, [
      { slug: 'live', file: 'jetstream/live.toml', platform: undefined, generated: false, ...shared },
      { slug: 'draft', file: 'jetstream/draft.toml', platform: undefined, generated: true, ...shared },
      { slug: 'new', file: 'jetstream/new.toml', platform: 'fenix', generated: true, ...shared },
    ]);
  });
});
