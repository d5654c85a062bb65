import type { Defined } from '../config-file.js';
import type { ParameterDefinition } from '../schema.js';
import type { FileCheck } from './file-check.js';

/**
 * Parameters beyond their schema, with jetstream's rule: a parameter that is
 * `distinct_by_branch` needs one value per branch, any other one string; and a value (or a
 * default) is required, except in an outcome, whose experiments may supply it.
 */
export function checkParameterShapes(check: FileCheck): void {
  for (const [name, param] of check.out.parameters) parameterShape(check, param, name);
}

function parameterShape(check: FileCheck, param: Defined<ParameterDefinition>, name: string): void {
  const { value, default: fallback, distinct_by_branch: byBranch } = param.def;
  const path = ['parameters', name];
  const given = value ?? fallback;
  if (given === undefined) {
    if (check.out.kind !== 'outcome') check.error(path, `parameter '${name}' needs 'value' or 'default'`);
    return;
  }
  if (byBranch && typeof given === 'string') {
    check.error(
      [...path, value !== undefined ? 'value' : 'default'],
      `parameter '${name}' is distinct_by_branch, so it needs one value per branch, e.g. value.control = "x"`,
    );
  } else if (!byBranch && typeof given !== 'string') {
    check.error(
      [...path, value !== undefined ? 'value' : 'default'],
      `parameter '${name}' has one value per branch; set distinct_by_branch = true, or give a single string`,
    );
  }
}
