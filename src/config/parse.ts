import { readFileSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import { checkExperiment } from './check/experiment.js';
import { FileCheck } from './check/file-check.js';
import { checkMetrics } from './check/metrics.js';
import { checkDefaultMetrics, checkOutcome } from './check/outcome.js';
import { checkParameterShapes } from './check/parameters.js';
import { checkSegments } from './check/segments.js';
import { type ConfigFile, type ConfigFileKind, emptyConfigFile, kindOfPath } from './config-file.js';
import type { Table } from './describe.js';
import { PERIOD_KEYS } from './names.js';
import {
  DataSourceDefinition,
  DimensionDefinition,
  FunctionDefinition,
  ParameterDefinition,
} from './schema.js';
import { locateKeys } from './toml-lines.js';

/**
 * Reading one metric-hub TOML file: the TOML itself (a syntax error is the file's only
 * problem), then the sections each kind of file may hold, in a fixed order so that problems
 * are listed as the file reads. The rules of each section live in `check/`.
 */
const ROOT_KEYS: Record<ConfigFileKind, readonly string[]> = {
  // jetstream's config check accepts a title and description on experiment files.
  experiment: [
    'experiment',
    'metrics',
    'data_sources',
    'segments',
    'parameters',
    'friendly_name',
    'description',
  ],
  default: ['experiment', 'metrics', 'data_sources', 'segments', 'parameters'],
  definition: ['metrics', 'data_sources', 'segments', 'parameters', 'dimensions', 'alerts'],
  // An outcome may say which periods its metrics are computed for, with the same list keys.
  outcome: [
    'friendly_name',
    'description',
    'metrics',
    'data_sources',
    'parameters',
    'default_metrics',
    ...PERIOD_KEYS,
  ],
  functions: ['functions'],
};

/** Parses and checks one file. Never throws for bad content: problems are in the result. */
export function parseConfigText(
  file: string,
  source: string,
  kind: ConfigFileKind,
  slug: string,
  platform: string | null,
): ConfigFile {
  const result = emptyConfigFile(file, kind, slug, platform);
  let doc: Table;
  try {
    doc = parseToml(source) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      const firstLine = error.message.split('\n')[0] ?? error.message;
      result.errors.push({
        file,
        line: error.line,
        keyPath: '',
        message: `TOML syntax error: ${firstLine.replace(/^Invalid TOML document: /, '')}`,
      });
      return result;
    }
    throw error;
  }
  checkDocument(new FileCheck(result, locateKeys(source)), doc);
  return result;
}

/** Parses a single file by its path, its kind told by where it is (validate, custom configs). */
export function parseConfigFile(path: string, source = readFileSync(path, 'utf8')): ConfigFile {
  const { kind, slug, platform } = kindOfPath(path);
  return parseConfigText(path, source, kind, slug, platform);
}

function checkDocument(check: FileCheck, doc: Table): void {
  const { kind } = check.out;
  check.unknownKeys(doc, ROOT_KEYS[kind], [], `a ${kind} file`);
  if (kind === 'functions') {
    check.definitions(doc, 'functions', 'function', FunctionDefinition, check.out.functions);
    return;
  }
  if (kind === 'outcome') checkOutcome(check, doc);
  if ((kind === 'experiment' || kind === 'default') && doc.experiment !== undefined)
    checkExperiment(check, doc.experiment);
  if (doc.metrics !== undefined) checkMetrics(check, doc.metrics);
  check.definitions(doc, 'data_sources', 'data source', DataSourceDefinition, check.out.dataSources);
  check.definitions(doc, 'parameters', 'parameter', ParameterDefinition, check.out.parameters);
  if (kind === 'definition')
    check.definitions(doc, 'dimensions', 'dimension', DimensionDefinition, check.out.dimensions);
  if (doc.segments !== undefined) checkSegments(check, doc.segments);
  checkParameterShapes(check);
  if (kind === 'outcome') checkDefaultMetrics(check);
}
