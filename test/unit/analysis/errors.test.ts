import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { UnknownExperimentError, unknownExperimentsError } from '../../../src/analysis/errors.js';
import { experimentSource, localExperimentSource } from '../../../src/experiments/source.js';
import { DEMO_SLUG } from '../../../src/sample/population.js';
import { DEMO_EXPERIMENTS_FILE } from '../../helpers/sample.js';

const DRAFT_SAYS =
  'in the experiment source, not launched (no start date, or a Draft or Preview status): the daily analysis, backfills and reruns analyse launched experiments only; `contrail preview` reads drafts';

describe('an experiment the daily analysis cannot find', () => {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-unknown-experiment-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a slug in no view of the source is unknown, with the launched ones and the closest', () => {
    const error = new UnknownExperimentError(['contrail-demo-sidebr'], [DEMO_SLUG]);
    assert.equal(
      error.message,
      `unknown experiment 'contrail-demo-sidebr' (did you mean '${DEMO_SLUG}'?): not in the experiment source (known: ${DEMO_SLUG})`,
    );
  });

  test('a draft is named as one, beside the slugs that are not there at all', () => {
    const one = new UnknownExperimentError([DEMO_SLUG], [], undefined, [DEMO_SLUG]);
    assert.equal(one.message, `experiment '${DEMO_SLUG}' is a draft ${DRAFT_SAYS}`);
    const mixed = new UnknownExperimentError(['nope', 'a', 'b'], ['other'], undefined, ['a', 'b']);
    assert.equal(
      mixed.message,
      `unknown experiment 'nope': not in the experiment source (known: other); experiments 'a', 'b' are drafts ${DRAFT_SAYS}`,
    );
    assert.deepEqual(mixed.details, { slugs: ['nope', 'a', 'b'] });
  });

  test('the source says which slugs are its drafts: a record without a start date is one', async () => {
    const records = JSON.parse(readFileSync(DEMO_EXPERIMENTS_FILE, 'utf8')) as { slug: string }[];
    const file = join(dir, 'experiments.json');
    writeFileSync(
      file,
      JSON.stringify(records.map((r) => (r.slug === DEMO_SLUG ? { ...r, startDate: null } : r))),
    );
    const error = await unknownExperimentsError(localExperimentSource(file), [DEMO_SLUG, 'nope']);
    assert.match(
      error.message,
      /^unknown experiment 'nope': not in the experiment source \(known: contrail-demo-/,
    );
    assert.ok(
      !/known: [^)]*contrail-demo-sidebar[,)]/.test(error.message),
      'the draft is not listed as launched',
    );
    assert.ok(error.message.endsWith(`; experiment '${DEMO_SLUG}' is a draft ${DRAFT_SAYS}`), error.message);
  });

  test('a source whose drafts cannot be read still names the unknown slugs', async () => {
    const source = experimentSource({
      launched: async () => ({ experiments: [], invalid: new Map() }),
      drafts: async () => {
        throw new Error('the draft endpoint is down');
      },
    });
    const error = await unknownExperimentsError(source, ['x']);
    assert.equal(error.message, "unknown experiment 'x': not in the experiment source (known: none)");
  });
});
