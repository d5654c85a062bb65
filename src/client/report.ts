/** What the CLI makes of a finished workflow: the report for people and the failures counted in it. */
export interface Outcome {
  /** First line: the summary; then one line per table or failure. */
  report: string;
  failed: number;
  /** What a failed command ends with, when the report's first line says what ran rather than what failed. */
  failure?: string;
  /** Set when the run was cancelled part way and returned what it finished: what a command ends with (exit 130). */
  interrupted?: string;
}

/** What the command knows beside the result: the port of the dashboard running on this machine. */
export interface ReportContext {
  dashboardPort?: number;
  /** Where a preview's JSON exports went (its dataset's directory), when this command knows it. */
  exportDir?: string;
  /** List every unit of work that went well, not only their count. */
  verbose?: boolean;
  /** The date whose daily-run experiments a versions report counts as pinned, when known. */
  eligibleOn?: string;
}
