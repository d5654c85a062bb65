import type * as registered from './index.js';

/**
 * The workflows the worker registers, by name, and the input each takes: what a client or a
 * parent may start by name is checked against the registration, not against a copy of it.
 */
export type WorkflowName = keyof typeof registered;
export type WorkflowInput<W extends WorkflowName> = Parameters<(typeof registered)[W]>[0];
