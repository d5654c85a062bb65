import { PREVIEW_DATASET } from './inputs.js';

/**
 * Workflow ids say what the work is and where it writes (experiment, dates, dataset when it
 * is not the default one), so starting the same work twice finds the running one instead of
 * running it again, and two runs that would write the same tables never run at once. The CLI
 * joins a running workflow of the same id only when its inputs match; otherwise it refuses
 * the start and names the running one.
 */
const inDataset = (dataset: string, fallback: string) => (dataset === fallback ? '' : `${dataset}/`);

export const workflowIds = {
  analysis: (slug: string, date: string, dataset = 'contrail') =>
    `analysis/${inDataset(dataset, 'contrail')}${slug}/${date}`,
  daily: (date: string, dataset = 'contrail') => `daily/${inDataset(dataset, 'contrail')}${date}`,
  backfill: (slugs: string[], startDate: string, endDate: string, dataset = 'contrail') =>
    `backfill/${inDataset(dataset, 'contrail')}${[...slugs].sort().join('+')}/${startDate}..${endDate}`,
  rerun: (slug: string, dataset = 'contrail') => `rerun/${inDataset(dataset, 'contrail')}${slug}`,
  preview: (slug: string, dataset = PREVIEW_DATASET) =>
    `preview/${inDataset(dataset, PREVIEW_DATASET)}${slug}`,
  /** A backfill's or rerun's publication of one experiment, on the experiment's pinned build. */
  publish: (slug: string, dataset = 'contrail') => `publish/${inDataset(dataset, 'contrail')}${slug}`,
  rerunSkip: (slug: string, dataset = 'contrail') => `rerun-skip/${inDataset(dataset, 'contrail')}${slug}`,
  versionsReport: (dataset = 'contrail') => (dataset === 'contrail' ? 'versions' : `versions/${dataset}`),
} as const;

export const DAILY_SCHEDULE_ID = 'contrail-daily-analysis';
