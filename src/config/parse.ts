import { readFileSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import { notUtf8Lines } from '../utf8.js';
import { checkExperiment } from './check/experiment.js';
import { FileCheck } from './check/file-check.js';
import { checkMetrics } from './check/metrics.js';
import { checkDefaultMetrics, checkOutcome } from './check/outcome.js';
import { checkParameterShapes } from './check/parameters.js';
import { checkSegments } from './check/segments.js';
import {
  type ConfigFile,
  type ConfigFileKind,
  emptyConfigFile,
  FILE_KIND_NAMES,
  kindOfPath,
} from './config-file.js';
import type { Table } from './describe.js';
import { PERIOD_KEYS } from './names.js';
import type { ConfigProblem } from './problems.js';
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

/**
 * A plain word on the TOML mistakes configs are seen to make, after the parser's own wording
 * ("illegal character in key" for an unclosed `[experiment` header), read off the line the
 * parser names. Empty when the line shows none of them.
 */
function tomlHint(source: string, lineNumber: number): string {
  const lines = source.split(/\r?\n/);
  const line = (lines[lineNumber - 1] ?? '').replace(/\s+#[^"']*$/, '').trim();
  const header = /^(\[\[?)\s*([^\]]*?)\s*(\]\]?)?$/.exec(line);
  if (header && !line.includes('=')) {
    const [, open, name, close] = header;
    const closing = open === '[[' ? ']]' : ']';
    if (close !== closing) return `; the table header is not closed: write ${open}${name}${closing}`;
    const earlier = lines.findIndex((l, i) => i < lineNumber - 1 && l.trim() === line);
    if (earlier >= 0 && open === '[')
      return `; table [${name}] is already defined on line ${earlier + 1}: merge the two or rename one`;
    return '';
  }
  const unquoted = line.replace(/\\./g, '');
  for (const quote of ['"', "'"]) {
    const value = unquoted.slice(unquoted.indexOf('=') + 1);
    const triple = quote.repeat(3);
    if (value.includes(triple)) continue;
    if (unquoted.includes('=') && value.split(quote).length % 2 === 0)
      return `; a string on this line has a ${quote} at one end only: quote both ends on the same line (${triple} … ${triple} for text over several lines)`;
  }
  const key = /^([A-Za-z0-9_-]+|"[^"]*")\s*=/.exec(line)?.[1];
  if (key) {
    // The earlier definition of the key in the same table: back to the table's header.
    for (let i = lineNumber - 2; i >= 0; i--) {
      const earlier = (lines[i] ?? '').trim();
      if (earlier.startsWith('[')) break;
      if (new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=`).test(earlier))
        return `; '${key}' is already set on line ${i + 1} of this table: keep one of them`;
    }
  }
  return '';
}

/** A config file's lines that are not UTF-8 (see notUtf8Lines), as its problems. */
function notUtf8(file: string, source: string): ConfigProblem[] {
  return notUtf8Lines(source, 'TOML').map(({ line, message }) => ({ file, line, keyPath: '', message }));
}

/** Parses and checks one file. Never throws for bad content: problems are in the result. */
export function parseConfigText(
  file: string,
  source: string,
  kind: ConfigFileKind,
  slug: string,
  platform: string | null,
): ConfigFile {
  const result = emptyConfigFile(file, kind, slug, platform);
  const encoding = notUtf8(file, source);
  if (encoding.length > 0) {
    // As a syntax error is, the file's only problems: what its strings say is not known.
    result.errors.push(...encoding);
    return result;
  }
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
        message: `TOML syntax error: ${firstLine.replace(/^Invalid TOML document: /, '')}${tomlHint(source, error.line)}`,
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
  check.unknownKeys(doc, ROOT_KEYS[kind], [], FILE_KIND_NAMES[kind]);
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
