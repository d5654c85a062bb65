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
  rerun: (slug: string) => `rerun/${slug}`,
  preview: (slug: string) => `preview/${slug}`,
} as const;

export const DAILY_SCHEDULE_ID = 'contrail-daily-analysis';
