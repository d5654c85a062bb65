import { Experiment } from '../../src/experiments/experiment.js';

/** A live two-branch firefox_desktop experiment for tests; overrides win. */
export function testExperiment(overrides: Partial<Experiment> = {}): Experiment {
  return Experiment.parse({
    slug: 'test-experiment',
    appName: 'firefox_desktop',
    status: 'live',
    branches: [
      { slug: 'control', ratio: 1 },
      { slug: 'treatment', ratio: 1 },
    ],
    referenceBranch: 'control',
    startDate: '2024-01-01',
    proposedEnrollment: 7,
    ...overrides,
  });
}
