// The workflows the contrail worker registers. Workflow code is deterministic and imports
// activities as types only.
export { analyzeExperiment } from './analyze.js';
export { backfill } from './backfill.js';
export { dailyAnalysis } from './daily.js';
export { healthCheck } from './health.js';
export { preview } from './preview.js';
export { publishExperiment } from './publish.js';
export { rerun } from './rerun.js';
export { rerunSkip } from './rerun-skip.js';
export { versionsReport } from './versions.js';
