import type { z } from 'zod';
import { paramIssues } from '../../statistics/params.js';
import { PRE_TREATMENT_NAMES, preTreatmentParams } from '../../statistics/pretreatments.js';
import { STATISTIC_NAMES, STATISTICS, type StatisticName } from '../../statistics/registry.js';
import { didYouMean, oneOf } from '../../suggest.js';
import { describe, friendlyIssue, isTable, type Table } from '../describe.js';
import type { KeyPath } from '../toml-lines.js';

/**
 * Checks a metric's `statistics` table with the statistics' own parameter schemas: the config
 * check and the analysis agree by construction, so what `validate` accepts runs, and what it
 * rejects would have failed. Unknown parameters are errors even in lenient mode, because the
 * statistic itself refuses them.
 */
export type ReportError = (path: KeyPath, message: string) => void;

/**
 * `report` takes what leaves a statistic unusable (an unknown name, parameters that are no
 * table, pre-treatments that are no list); `reportParameter` a parameter value the statistic's
 * schema refuses, which leaves the rest of the config whole.
 */
export function checkStatistics(
  stats: Table,
  path: KeyPath,
  report: ReportError,
  reportParameter: ReportError,
): void {
  for (const [name, params] of Object.entries(stats)) {
    const statPath = [...path, name];
    if (!Object.hasOwn(STATISTICS, name)) {
      report(
        statPath,
        `unknown statistic '${name}'${didYouMean(name, STATISTIC_NAMES)}; statistics are ${oneOf(STATISTIC_NAMES)}`,
      );
      continue;
    }
    if (!isTable(params)) {
      report(
        statPath,
        `expected a table of parameters for statistic '${name}' (use {} for none), got ${describe(params)}`,
      );
      continue;
    }
    const { pre_treatments: preTreatments, ...own } = params;
    const schema = STATISTICS[name as StatisticName].params;
    checkParams('statistic', name, schema, own, statPath, reportParameter);
    if (preTreatments !== undefined)
      checkPreTreatments(preTreatments, [...statPath, 'pre_treatments'], report, reportParameter);
  }
}

function checkPreTreatments(
  value: unknown,
  path: KeyPath,
  report: ReportError,
  reportParameter: ReportError,
): void {
  if (!Array.isArray(value)) {
    report(path, `expected a list of pre-treatments (names, or tables with 'name'), got ${describe(value)}`);
    return;
  }
  value.forEach((item, i) => {
    const itemPath = [...path, i];
    const name = typeof item === 'string' ? item : isTable(item) ? item.name : undefined;
    if (typeof name !== 'string') {
      report(itemPath, `expected a pre-treatment name or a table with 'name', got ${describe(item)}`);
      return;
    }
    const schema = preTreatmentParams(name);
    if (!schema) {
      report(
        itemPath,
        `unknown pre-treatment '${name}'${didYouMean(name, PRE_TREATMENT_NAMES)}; pre-treatments are ${oneOf(PRE_TREATMENT_NAMES)}`,
      );
      return;
    }
    const { name: _name, ...args } = isTable(item) ? item : {};
    checkParams('pre-treatment', name, schema, args, itemPath, reportParameter);
  });
}

/**
 * A statistic's or pre-treatment's parameters against its own schema; each issue at its own
 * key (a missing required parameter at the statistic itself), with did-you-mean.
 */
function checkParams(
  what: 'statistic' | 'pre-treatment',
  name: string,
  schema: z.ZodObject,
  given: Table,
  path: KeyPath,
  report: ReportError,
): void {
  const valid = Object.keys(schema.shape);
  for (const issue of paramIssues(what, name, schema, given)) {
    const key = issue.path[0];
    if (issue.unknownKey && typeof key === 'string') {
      report([...path, key], issue.message.replace(';', `${didYouMean(key, valid)};`));
      continue;
    }
    const missing = typeof key === 'string' && given[key] === undefined;
    const value = issue.path.reduce<unknown>((v, p) => (isTable(v) ? v[String(p)] : undefined), given);
    // zod's own wording for a wrong type or range ("Invalid input: ...", "Too small: ...") reads
    // badly in a config message.
    const reworded = ['invalid_type', 'too_small', 'too_big'].includes(issue.issue?.code ?? '');
    const message =
      issue.issue && reworded && value !== undefined
        ? `${issue.message.slice(0, issue.message.indexOf("': ") + 3)}${friendlyIssue(issue.issue, schema)}`
        : missing || value === undefined
          ? issue.message
          : `${issue.message}, got ${describe(value)}`;
    report(missing ? path : [...path, ...issue.path], message);
  }
}
