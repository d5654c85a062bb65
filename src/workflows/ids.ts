/**
 * Workflow ids say what the work is, so starting the same work twice finds the running one
 * instead of running it again.
 */
export const workflowIds = {
  analysis: (slug: string, date: string, dataset = 'contrail') =>
    dataset === 'contrail' ? `analysis/${slug}/${date}` : `analysis/${dataset}/${slug}/${date}`,
  daily: (date: string) => `daily/${date}`,
  backfill: (slugs: string[], startDate: string, endDate: string) =>
    `backfill/${[...slugs].sort().join('+')}/${startDate}..${endDate}`,
  rerun: (slug: string, dataset = 'contrail') =>
    dataset === 'contrail' ? `rerun/${slug}` : `rerun/${dataset}/${slug}`,
  preview: (slug: string) => `preview/${slug}`,
  /** A backfill's or rerun's publication of one experiment, on the experiment's pinned build. */
  publish: (slug: string, dataset = 'contrail') =>
    dataset === 'contrail' ? `publish/${slug}` : `publish/${dataset}/${slug}`,
  rerunSkip: (slug: string, dataset = 'contrail') =>
    dataset === 'contrail' ? `rerun-skip/${slug}` : `rerun-skip/${dataset}/${slug}`,
  versionsReport: (dataset = 'contrail') => (dataset === 'contrail' ? 'versions' : `versions/${dataset}`),
} as const;

export const DAILY_SCHEDULE_ID = 'contrail-daily-analysis';
