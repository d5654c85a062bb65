import type * as registered from './index.js';

/**
 * The names the worker registers its workflows by: what the CLI starts by name is checked
 * against the registration, not against a copy of it.
 */
export type WorkflowName = keyof typeof registered;
