import { addDays } from '../../src/dates.js';
import { Experiment } from '../../src/experiments/experiment.js';

/**
 * A live two-branch firefox_desktop experiment for tests; overrides win. Its enrollment ended
 * as proposed (an experiment still enrolling is not analysed) unless `enrollmentEndDate` says
 * otherwise.
 */
export function testExperiment(overrides: Partial<Experiment> = {}): Experiment {
  const experiment = Experiment.parse({
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
  if ('enrollmentEndDate' in overrides || experiment.startDate === null) return experiment;
  const days = experiment.proposedEnrollment ?? 0;
  return { ...experiment, enrollmentEndDate: addDays(experiment.startDate, Math.max(days, 1) - 1) };
}
