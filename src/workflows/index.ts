// The workflows the contrail worker registers. Workflow code is deterministic and imports
// activities as types only.
export { healthCheck } from './health.js';
