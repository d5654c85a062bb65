import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A JSON Schema validator for the schemas pydantic writes (test/fixtures/nimbus-schemas): the
 * keywords those use and no others. A keyword it does not know fails the check, so a newer
 * vendored schema can never pass by being half read.
 */
export type JsonSchema = { [keyword: string]: unknown };

const KNOWN = new Set([
  '$defs',
  '$ref',
  'additionalProperties',
  'anyOf',
  'default',
  'description',
  'enum',
  'format',
  'items',
  'maxLength',
  'maximum',
  'minLength',
  'minimum',
  'properties',
  'required',
  'title',
  'type',
]);

export interface SchemaOptions {
  /**
   * Reads a decimal string where a number is expected, as pydantic's default (lax) mode does:
   * Experimenter validates the files with the pydantic models (`parse_obj`), not this schema.
   */
  laxNumbers?: boolean;
}

/** mozilla-nimbus-schemas' JSON schema of a jetstream export (`Statistics`, `Metadata`, `AnalysisErrors`). */
export function nimbusSchema(name: 'Statistics' | 'Metadata' | 'AnalysisErrors'): JsonSchema {
  const file = fileURLToPath(new URL(`../fixtures/nimbus-schemas/${name}.schema.json`, import.meta.url));
  return JSON.parse(readFileSync(file, 'utf8')) as JsonSchema;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const URI = /^https?:\/\/[^\s/]+\S*$/;

/** What in `value` the schema refuses, each as `<path>: <why>`; empty when it conforms. */
export function schemaProblems(schema: JsonSchema, value: unknown, options: SchemaOptions = {}): string[] {
  const problems: string[] = [];
  const defs = (schema.$defs ?? {}) as Record<string, JsonSchema>;

  function resolve(s: JsonSchema): JsonSchema {
    if (typeof s.$ref !== 'string') return s;
    const name = /^#\/\$defs\/(.+)$/.exec(s.$ref)?.[1];
    const target = name === undefined ? undefined : defs[name];
    if (!target) throw new Error(`unknown $ref ${s.$ref}`);
    return target;
  }

  function typeOk(type: string, v: unknown): boolean {
    switch (type) {
      case 'null':
        return v === null;
      case 'string':
        return typeof v === 'string';
      case 'boolean':
        return typeof v === 'boolean';
      case 'integer':
        return typeof v === 'number' && Number.isInteger(v);
      case 'number':
        return (
          (typeof v === 'number' && Number.isFinite(v)) ||
          (options.laxNumbers === true && typeof v === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v))
        );
      case 'array':
        return Array.isArray(v);
      case 'object':
        return v !== null && typeof v === 'object' && !Array.isArray(v);
      default:
        throw new Error(`unknown type ${type}`);
    }
  }

  function check(raw: JsonSchema, v: unknown, path: string, out: string[]): void {
    for (const keyword of Object.keys(raw)) {
      if (!KNOWN.has(keyword)) throw new Error(`schema keyword ${keyword} at ${path} is not supported`);
    }
    const s = resolve(raw);
    if (s !== raw) {
      check(s, v, path, out);
      return;
    }
    if (Array.isArray(s.anyOf)) {
      const branches = (s.anyOf as JsonSchema[]).map((branch) => {
        const found: string[] = [];
        check(branch, v, path, found);
        return found;
      });
      if (!branches.some((b) => b.length === 0))
        out.push(`${path}: matches none of ${branches.map((b) => b.join('; ')).join(' | ')}`);
      return;
    }
    if (typeof s.type === 'string' && !typeOk(s.type, v)) {
      out.push(`${path}: expected ${s.type}, got ${JSON.stringify(v)}`);
      return;
    }
    if (Array.isArray(s.enum) && !s.enum.includes(v)) {
      out.push(`${path}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s.enum)}`);
    }
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) out.push(`${path}: ${v} < ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) out.push(`${path}: ${v} > ${s.maximum}`);
    }
    if (typeof v === 'string') {
      if (typeof s.minLength === 'number' && v.length < s.minLength)
        out.push(`${path}: shorter than ${s.minLength}`);
      if (typeof s.maxLength === 'number' && v.length > s.maxLength)
        out.push(`${path}: longer than ${s.maxLength}`);
      const format = s.format;
      const pattern =
        format === 'date' ? DATE : format === 'date-time' ? DATE_TIME : format === 'uri' ? URI : null;
      if (format !== undefined && pattern === null) throw new Error(`unknown format ${String(format)}`);
      if (pattern && !pattern.test(v)) out.push(`${path}: ${JSON.stringify(v)} is not a ${String(format)}`);
    }
    if (Array.isArray(v) && s.items) {
      v.forEach((item, i) => {
        check(s.items as JsonSchema, item, `${path}[${i}]`, out);
      });
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const record = v as Record<string, unknown>;
      for (const key of (s.required ?? []) as string[]) {
        if (!(key in record)) out.push(`${path}.${key}: required`);
      }
      const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
      for (const [key, item] of Object.entries(record)) {
        const property = properties[key];
        if (property) check(property, item, `${path}.${key}`, out);
        else if (s.additionalProperties && typeof s.additionalProperties === 'object')
          check(s.additionalProperties as JsonSchema, item, `${path}.${key}`, out);
      }
    }
  }

  check(schema, value, '$', problems);
  return problems;
}
