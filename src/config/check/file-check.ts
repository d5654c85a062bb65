import type { z } from 'zod';
import type { Provenance } from '../../provenance.js';
import { closestName, didYouMean } from '../../suggest.js';
import type { ConfigFile, Defined, NameRef } from '../config-file.js';
import { describe, friendlyIssue, isTable, type Table } from '../describe.js';
import { DEFINITION_NAME_RULE, isDefinitionName } from '../names.js';
import { sectionsReading } from '../schema.js';
import type { KeyLines, KeyPath } from '../toml-lines.js';

/** Definitions whose names become SQL column or table-name parts. */
const NAMED_IN_SQL = new Set(['metric', 'data source', 'segment', 'segment data source']);

/**
 * The check of one file, as every section's own rules (experiment.ts, metrics.ts, ...) use
 * it: problems located at the line of their key, unknown keys told apart from keys that are
 * read in another section, and definition tables read through their schema with the line of
 * every field kept. It fills in the ConfigFile it was given.
 */
export class FileCheck {
  constructor(
    readonly out: ConfigFile,
    private readonly lines: KeyLines,
  ) {}

  /** Where a key path is written. */
  at(path: KeyPath): Provenance {
    return { file: this.out.file, key: path.join('.'), line: this.lines.lineOf(path) };
  }

  error(path: KeyPath, message: string): void {
    this.errorAt(this.at(path), message);
  }

  /** A parameter value its statistic refuses: an error that leaves the definitions whole. */
  parameterError(path: KeyPath, message: string): void {
    const at = this.at(path);
    this.out.parameterErrors.push({ file: at.file, line: at.line, keyPath: at.key, message });
  }

  /** An error at a place already located (a name in a list, kept with its origin). */
  errorAt(origin: Provenance, message: string): void {
    this.out.errors.push({ file: origin.file, line: origin.line, keyPath: origin.key, message });
  }

  /**
   * Keys of `table` that are not `allowed`: a key some other section reads is ignored (a
   * warning, as jetstream ignores it); anything else is unknown, with the closest valid key.
   */
  unknownKeys(table: Table, allowed: readonly string[], path: KeyPath, what: string): void {
    for (const key of Object.keys(table)) {
      if (allowed.includes(key)) continue;
      const at = {
        file: this.out.file,
        line: this.lines.lineOf([...path, key]),
        keyPath: [...path, key].join('.'),
      };
      const readIn = sectionsReading(key);
      if (readIn.length > 0 && closestName(key, allowed) === null) {
        this.out.ignoredKeys.push({
          ...at,
          message: `'${key}' has no effect in ${what}: it is read only in ${readIn.join(' and ')}; jetstream ignores it here, and so does contrail`,
        });
        continue;
      }
      this.out.unknownKeys.push({
        ...at,
        message: `unknown key '${key}' in ${what}${didYouMean(key, allowed)}; valid keys: ${allowed.join(', ')}`,
      });
    }
  }

  /** A list of names (a period list, `default_metrics`), each with its own line; null if not a list. */
  nameList(v: unknown, path: KeyPath): NameRef[] | null {
    if (!Array.isArray(v)) {
      this.error(path, `expected a list of names, got ${describe(v)}`);
      return null;
    }
    const refs: NameRef[] = [];
    v.forEach((item, i) => {
      if (typeof item !== 'string')
        this.error([...path, i], `expected a name (string), got ${describe(item)}`);
      else refs.push({ name: item, origin: this.at([...path, i]) });
    });
    return refs;
  }

  /** A table read through its schema, with where it and each of its fields are written; null if invalid. */
  entry<S extends z.ZodType>(
    schema: S,
    value: Table,
    path: KeyPath,
    name: string,
  ): Defined<z.infer<S>> | null {
    const parsed = schema.safeParse(value, { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const issuePath = [...path, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
        this.error(issuePath, friendlyIssue(issue, schema));
      }
      return null;
    }
    const fields: Record<string, Provenance> = {};
    for (const key of Object.keys(value)) fields[key] = this.at([...path, key]);
    return { name, def: parsed.data, origin: this.at(path), fields };
  }

  /** Every definition of a top-level section (`[data_sources.<name>]`, ...), into `into`. */
  definitions<S extends z.ZodObject>(
    doc: Table,
    section: string,
    what: string,
    schema: S,
    into: Map<string, Defined<z.infer<S>>>,
  ): void {
    const tables = doc[section];
    if (tables === undefined) return;
    if (!isTable(tables)) {
      this.error([section], `expected a table of ${what} definitions, got ${describe(tables)}`);
      return;
    }
    for (const [name, value] of Object.entries(tables))
      this.definition(value, [section, name], name, what, schema, into);
  }

  /** One definition: its keys, its name (when it becomes part of SQL) and its schema. */
  definition<S extends z.ZodObject>(
    value: unknown,
    path: KeyPath,
    name: string,
    what: string,
    schema: S,
    into: Map<string, Defined<z.infer<S>>>,
  ): void {
    if (!isTable(value)) {
      this.error(path, `expected a table defining ${what} '${name}', got ${describe(value)}`);
      return;
    }
    this.unknownKeys(value, Object.keys(schema.shape), path, `${what} '${name}'`);
    // Wildcard names (`[metrics.*.statistics]` in an overlay) only modify existing definitions.
    if (NAMED_IN_SQL.has(what) && !/[*?[]/.test(name) && !isDefinitionName(name))
      this.error(path, `${what} name '${name}' is not usable in SQL: ${DEFINITION_NAME_RULE}`);
    const entry = this.entry(schema, value, path, name);
    if (entry) into.set(name, entry);
  }
}
