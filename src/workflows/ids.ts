import { PREVIEW_DATASET } from './inputs.js';

/**
 * Workflow ids say what the work is and where it writes (experiment, dates, dataset when it
 * is not the default one), so starting the same work twice finds the running one instead of
 * running it again, and two runs that would write the same tables never run at once. The CLI
 * joins a running workflow of the same id only when its inputs match; otherwise it refuses
 * the start and names the running one.
 */
const inDataset = (dataset: string, fallback: string) => (dataset === fallback ? '' : `${dataset}/`);

/**
 * A backfill's experiments spell out its id up to this length. Temporal refuses ids over 1,000
 * characters (`limit.maxIDLength`): thirty experiments of ordinary slugs already come near.
 */
const SLUGS_SPELLED_OUT = 200;

/** FNV-1a over the text, twice with other offsets: 16 hex digits, the same in workflows and clients. */
function digest(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/**
 * The experiments of a backfill as its id names them: every slug (sorted, so their order does
 * not matter), or past SLUGS_SPELLED_OUT the first, how many more and a digest of them all, so
 * that the same experiments still make the same id and other ones another.
 */
function backfillSlugs(slugs: string[]): string {
  const sorted = [...slugs].sort();
  const all = sorted.join('+');
  if (all.length <= SLUGS_SPELLED_OUT) return all;
  return `${sorted[0]}+${sorted.length - 1}-more-${digest(all)}`;
}

export const workflowIds = {
  analysis: (slug: string, date: string, dataset = 'contrail') =>
    `analysis/${inDataset(dataset, 'contrail')}${slug}/${date}`,
  daily: (date: string, dataset = 'contrail') => `daily/${inDataset(dataset, 'contrail')}${date}`,
  backfill: (slugs: string[], startDate: string, endDate: string, dataset = 'contrail') =>
    `backfill/${inDataset(dataset, 'contrail')}${backfillSlugs(slugs)}/${startDate}..${endDate}`,
  rerun: (slug: string, dataset = 'contrail') => `rerun/${inDataset(dataset, 'contrail')}${slug}`,
  preview: (slug: string, dataset = PREVIEW_DATASET) =>
    `preview/${inDataset(dataset, PREVIEW_DATASET)}${slug}`,
  /** A backfill's or rerun's publication of one experiment, on the experiment's pinned build. */
  publish: (slug: string, dataset = 'contrail') => `publish/${inDataset(dataset, 'contrail')}${slug}`,
  rerunSkip: (slug: string, dataset = 'contrail') => `rerun-skip/${inDataset(dataset, 'contrail')}${slug}`,
  versionsReport: (dataset = 'contrail') => (dataset === 'contrail' ? 'versions' : `versions/${dataset}`),
} as const;

/** Whether `workflowId` is a backfill's or rerun's publication (`workflowIds.publish`). */
export const isPublication = (workflowId: string) => workflowId.startsWith('publish/');

export const DAILY_SCHEDULE_ID = 'contrail-daily-analysis';
/** The id the schedule gives its runs, which Temporal ends with their scheduled time: `daily-2026-03-02T04:00:00Z`. */
export const DAILY_SCHEDULE_RUN_ID = 'daily';
