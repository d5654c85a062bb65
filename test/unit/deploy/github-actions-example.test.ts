import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { buildParser } from '../../../src/client/cli.js';
import { commands } from '../../../src/client/commands/index.js';

// GitHub Actions does not run here: the example job is checked by reading it.
const file = fileURLToPath(
  new URL('../../../examples/github-actions/contrail-validate.yml', import.meta.url),
);

interface Step {
  name?: string;
  uses?: string;
  run?: string;
}
const workflow = parse(readFileSync(file, 'utf8')) as {
  on: { pull_request: { paths: string[] } };
  jobs: Record<string, { 'runs-on': string; steps: Step[] }>;
};
const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
const scripts = steps.flatMap((step) => (step.run ? [step.run] : []));

/** Every `contrail …` the job runs or prints, as words; shell expansions stand for one word each. */
function contrailCommands(): string[][] {
  const found: string[][] = [];
  for (const script of scripts) {
    for (const [, rest] of script.matchAll(/(?:^|[\s;&|])contrail\s+([^\n;&|]*)/g)) {
      const words = rest!
        .replace(/"\s*$/, '')
        .trim()
        .split(/\s+/)
        .map((word) => word.replace(/^"(.*)"$/, '$1'))
        .map((word) => (word.includes('$') ? 'expanded.toml' : word));
      found.push(words);
    }
  }
  return found;
}

test('the example job runs on pull requests that change configs and installs contrail with npm', () => {
  assert.ok(workflow.on.pull_request.paths.some((p) => p.startsWith('jetstream/')));
  assert.ok(
    scripts.some((s) => /npm install -g\b/.test(s)),
    'contrail comes from npm (a tarball or the registry)',
  );
  for (const step of steps) {
    if (step.uses)
      assert.match(step.uses, /^actions\/[\w-]+@v\d+$/, `${step.uses} is a pinned official action`);
  }
});

test('the commands the example job runs and prints are ones the CLI accepts', async () => {
  const found = contrailCommands();
  const names = found.map((words) => words[0]).sort();
  assert.deepEqual(names, ['--version', 'validate'], JSON.stringify(found));
  const commandsOnly = commands.map((c) => ({ ...c, handler: () => undefined }));
  // The job runs in a checkout of the config repo: `.` there is one (the parser checks it), as
  // the demo's config repo is here.
  const configRepo = fileURLToPath(new URL('../../../src/sample/metric-hub', import.meta.url));
  for (const words of found) {
    const here = words.map((word, i) =>
      word === '.' && words[i - 1] === '--config_repos' ? configRepo : word,
    );
    await assert.doesNotReject(buildParser(here, commandsOnly).parseAsync(), `contrail ${words.join(' ')}`);
  }
});
