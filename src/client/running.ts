import type { Client } from '@temporalio/client';
import { contrailCommand } from '../command-name.js';
import { didYouMean } from '../suggest.js';
import type { Progress } from '../workflows/common.js';
import { DAILY_SCHEDULE_ID, DAILY_SCHEDULE_RUN_ID } from '../workflows/ids.js';
import { progressLine, waitingLine } from './progress-line.js';

/** A running workflow as `contrail status` lists it. */
export interface RunningWorkflow {
  workflowId: string;
  type: string;
  startTime: Date;
  /** Its answer to the `progress` query; null when it gave none in time (no worker free?). */
  progress: Progress | null;
}

/**
 * Workflows that analyse one experiment for a parent (daily run, backfill, rerun): counted
 * under their parent's line rather than listed one by one, since a fleet has hundreds.
 */
const UNDER_A_PARENT = new Set(['analyzeExperiment', 'publishExperiment']);

/** How long each running parent may take to answer its progress query. */
const PROGRESS_ANSWER_MS = 3_000;

/** The running workflows of the namespace, each parent with its progress, oldest first. */
export async function listRunning(client: Client): Promise<RunningWorkflow[]> {
  const found: RunningWorkflow[] = [];
  for await (const w of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
    found.push({ workflowId: w.workflowId, type: w.type, startTime: w.startTime, progress: null });
  }
  await Promise.all(
    found
      .filter((w) => !UNDER_A_PARENT.has(w.type))
      .map(async (w) => {
        w.progress = await client
          .withDeadline(Date.now() + PROGRESS_ANSWER_MS, () =>
            client.workflow.getHandle(w.workflowId).query<Progress>('progress'),
          )
          .catch(() => null);
      }),
  );
  return found.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

/** Running workflows looked at for the one a mistyped id meant, at most (a fleet runs hundreds). */
const SUGGESTED_AMONG = 5_000;

/**
 * What `contrail status` and `contrail cancel` say of an id the server does not know: the
 * running workflow whose id it most resembles (a date or slug mistyped), or those it begins (an
 * id cut short), and where to list them. The daily schedule's id, which an operator takes for
 * its run's, is said to be the schedule's, with the runs of it under way.
 */
export async function unknownWorkflowMessage(
  client: Client,
  workflowId: string,
  server: string,
): Promise<string> {
  const running: string[] = [];
  let listed = true;
  try {
    for await (const w of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
      running.push(w.workflowId);
      if (running.length >= SUGGESTED_AMONG) break;
    }
  } catch {
    // No list (visibility unavailable): the message goes without a suggestion.
    listed = false;
  }
  if (workflowId.trim() === DAILY_SCHEDULE_ID) {
    const runs = running.filter((id) => id.startsWith(`${DAILY_SCHEDULE_RUN_ID}-`));
    const under =
      runs.length > 0
        ? `its run under way is ${runs.join(', ')} (that id is the one to cancel or follow)`
        : listed
          ? 'no run of it is under way'
          : `\`${contrailCommand()} schedule describe\` names its run under way`;
    return `${DAILY_SCHEDULE_ID} is the daily schedule on ${server}, not a workflow: ${under}; \`${contrailCommand()} schedule pause\` keeps it from starting more, \`${contrailCommand()} schedule describe\` shows it`;
  }
  const suggestion = didYouMean(workflowId, running);
  const longer =
    suggestion === '' && workflowId.length > 0 ? running.filter((id) => id.startsWith(workflowId)) : [];
  const begun =
    longer.length > 0
      ? ` (running ids that begin with it: ${longer.slice(0, 3).join(', ')}${longer.length > 3 ? `, and ${longer.length - 3} more` : ''})`
      : '';
  return `no workflow ${workflowId}${suggestion}${begun} on ${server}; \`${contrailCommand()} status\` lists what runs there`;
}

function age(start: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - start.getTime()) / 60_000));
  if (minutes < 1) return 'under a minute';
  if (minutes < 120) return `${minutes} min`;
  return `${(minutes / 60).toFixed(1)} h`;
}

/**
 * What runs on the server, for an operator: one line per daily run, backfill, rerun or
 * preview with its progress, the analyses they run counted, and how to follow one.
 */
export function runningReport(running: RunningWorkflow[], server: string, now = new Date()): string {
  if (running.length === 0) return `nothing runs on ${server}`;
  const parents = running.filter((w) => !UNDER_A_PARENT.has(w.type));
  const children = running.length - parents.length;
  const lines = [`running on ${server}:`];
  for (const w of parents) {
    // What waits for a worker of its pinned build is said too: it would read as running.
    // So is what waits for another parent's run of the same id: it would read as stuck.
    const waits = waitingLine(w.progress ?? { waiting: [] });
    const progress = w.progress
      ? `${progressLine(w.progress, null)}${waits ? `; ${waits}` : ''}`
      : 'no progress answer (is a worker running?)';
    lines.push(`  ${w.workflowId}  (${w.type}, for ${age(w.startTime, now)})  ${progress}`);
  }
  if (children > 0) {
    lines.push(
      `  and ${children} ${children === 1 ? 'analysis' : 'analyses'} of single experiments${parents.length > 0 ? ' (most for the runs above)' : ''}`,
    );
  }
  const example = parents[0]?.workflowId ?? running[0]?.workflowId;
  lines.push(`follow one with \`${contrailCommand()} status ${example}\``);
  return lines.join('\n');
}
