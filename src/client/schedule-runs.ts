import type { Client } from '@temporalio/client';
import { describeFailure } from '../temporal/failures.js';
import type { DailyAnalysisResult } from '../workflows/daily.js';
import { describeDaily } from './outcomes.js';

/** How one of the schedule's recent runs stands, as `schedule describe` lists it. */
export type RecentOutcome =
  | { status: 'running' }
  /** `summary`: the first line of the run's report (`daily analysis <date>: … analysed, … failed`). */
  | { status: 'completed'; summary: string; failed: number }
  /** Failed, cancelled, terminated or timed out: the run's own end, and why when it says. */
  | { status: 'ended'; how: string; message: string | null };

/** One recent run: when the schedule started it, its id and how it stands. */
export function recentLine(takenAt: Date, workflowId: string, outcome: RecentOutcome): string {
  const at = `    ${takenAt.toISOString()} ${workflowId}: `;
  switch (outcome.status) {
    case 'running':
      return `${at}running`;
    case 'completed': {
      const failed = outcome.failed > 0 ? ` (\`contrail status ${workflowId}\` names them and why)` : '';
      return `${at}${outcome.summary}${failed}`;
    }
    case 'ended':
      return `${at}${outcome.how}${outcome.message ? `: ${outcome.message}` : ''}`;
  }
}

/**
 * How a run the schedule started stands: a completed daily run by what its result counts (an
 * experiment's failure does not fail the run, so "completed" alone would hide it).
 */
export async function recentOutcome(
  client: Client,
  workflowId: string,
  firstExecutionRunId: string,
): Promise<RecentOutcome> {
  const handle = client.workflow.getHandle(workflowId, undefined, { firstExecutionRunId });
  const status = (await handle.describe()).status.name;
  if (status === 'RUNNING') return { status: 'running' };
  if (status === 'COMPLETED') {
    const result = (await handle.result()) as DailyAnalysisResult;
    const summary = describeDaily(result).report.split('\n')[0] ?? '';
    return { status: 'completed', summary, failed: result.failed.length };
  }
  const message =
    status === 'FAILED'
      ? await handle.result().then(
          () => null,
          (error: unknown) => {
            const { errorType, message } = describeFailure(error);
            return `${errorType}: ${message}`;
          },
        )
      : null;
  return { status: 'ended', how: status.toLowerCase().replace(/_/g, ' '), message };
}
