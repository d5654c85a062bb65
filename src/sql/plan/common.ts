import type { AnalysisSpec, DataSourceSpec, SegmentDataSourceSpec } from '../../config/spec.js';
import { ContrailError } from '../../errors.js';
import type { Provenance } from '../../provenance.js';
import { columnName } from '../names.js';
import type { ColumnProvenance, PlanContext, SqlFragmentReference } from './types.js';

/** A config error found while planning (non-retryable: the config must change). */
export class PlanError extends ContrailError {
  /** The config item at fault, when the plan knows it (a custom enrollment query). */
  readonly at: Provenance | null;

  constructor(message: string, at: Provenance | null = null) {
    super(message, { permanent: true });
    this.name = 'PlanError';
    this.at = at;
  }
}

/** jetstream's `_app_id_to_bigquery_dataset`: the app's BigQuery dataset from its app id. */
export function appDataset(spec: AnalysisSpec): string {
  const appId = spec.experiment.appId ?? spec.experiment.appName;
  return appId.replace(/[^a-zA-Z0-9]/g, '_').toLowerCase();
}

/** Column holding the unit of analysis in contrail-built queries on Mozilla tables. */
export function analysisUnitColumn(spec: AnalysisSpec): string {
  return spec.analysisUnit === 'profile_group' ? 'profile_group_id' : 'client_id';
}

// Experimenter slugs are [a-z0-9-]; anything that could close a SQL string is refused before
// it is substituted into config SQL (`'{experiment_slug}'`) or contrail's own literals.
const SAFE_SLUG = /^[A-Za-z0-9_.-]+$/;

export function experimentSlug(spec: AnalysisSpec): string {
  const slug = spec.experiment.slug;
  if (!SAFE_SLUG.test(slug)) {
    throw new PlanError(
      `invalid experiment slug ${JSON.stringify(slug)}: use letters, digits, '-', '_' and '.'`,
    );
  }
  return slug;
}

/**
 * The placeholders mozanalysis fills in config SQL with Python's `str.format`: `{dataset}` in a
 * data source's FROM, `{experiment_slug}` in a metric's select expression. `str.format` also
 * reads `{{` and `}}` as one literal brace, which configs rely on (an add-on id written
 * `'{{d10d0bf8-…}}'` is `'{d10d0bf8-…}'` in the query); `braces: false` keeps them, for SQL
 * mozanalysis does not format (a custom enrollment query).
 */
export function fillPlaceholders(
  sql: string,
  values: { experiment_slug?: string; dataset?: string },
  options: { braces?: boolean } = {},
): string {
  const pattern =
    options.braces === false ? /\{(experiment_slug|dataset)\}/g : /\{\{|\}\}|\{(experiment_slug|dataset)\}/g;
  return sql.replace(pattern, (whole, key: 'experiment_slug' | 'dataset' | undefined) => {
    if (key === undefined) return whole[0] as string;
    const value = values[key];
    return value === undefined ? whole : value;
  });
}

/** A data source's FROM expression for this dialect, `{dataset}` filled as mozanalysis does. */
export function fromExpression(
  ctx: PlanContext,
  source: Pick<DataSourceSpec, 'name' | 'fromExpression' | 'provenance'> & { defaultDataset?: string | null },
  dataset: string | null,
): string {
  const effective = dataset ?? source.defaultDataset ?? null;
  if (effective === null && source.fromExpression.includes('{dataset}')) {
    throw new PlanError(
      `data source ${source.name} (${where(source.provenance)}): from_expression uses {dataset} but no default_dataset is set`,
    );
  }
  return ctx.dialect.userSql(
    fillPlaceholders(source.fromExpression, effective === null ? {} : { dataset: effective }),
  );
}

export function dataSourceFor(ctx: PlanContext, name: string, usedBy: string): DataSourceSpec {
  const ds = ctx.spec.dataSources[name];
  if (!ds) {
    const known = Object.keys(ctx.spec.dataSources).sort().join(', ') || 'none';
    throw new PlanError(
      `${usedBy} uses data source ${JSON.stringify(name)}, which is not defined (defined: ${known})`,
    );
  }
  return ds;
}

export function segmentDataSourceFor(ctx: PlanContext, name: string, usedBy: string): SegmentDataSourceSpec {
  const ds = ctx.spec.segmentDataSources[name];
  if (!ds) {
    const known = Object.keys(ctx.spec.segmentDataSources).sort().join(', ') || 'none';
    throw new PlanError(
      `${usedBy} uses segment data source ${JSON.stringify(name)}, which is not defined (defined: ${known})`,
    );
  }
  return ds;
}

export function where(p: Provenance): string {
  return `${p.file}: ${p.key}${p.line === null ? '' : ` (line ${p.line})`}`;
}

/** Segment column names, validated (they become columns of every table). */
export function segmentColumns(spec: AnalysisSpec): string[] {
  return spec.segments.map((s) => columnName(s.name, 'segment'));
}

function commentText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** SQL comments naming what a query computes and which config lines it came from. */
export function provenanceHeader(fields: {
  spec: AnalysisSpec;
  title: string;
  period?: string;
  windowIndex?: number;
  window?: { startOffset: number; endOffset: number };
  analysisBasis?: string;
  dataSource?: { name: string; provenance: Provenance };
  columns?: ColumnProvenance[];
}): string {
  const lines = [`-- contrail: ${fields.title}`, `-- experiment: ${fields.spec.experiment.slug}`];
  if (fields.period !== undefined) {
    const offsets = fields.window ? ` (days ${fields.window.startOffset}..${fields.window.endOffset})` : '';
    lines.push(`-- period: ${fields.period}, window: ${fields.windowIndex ?? ''}${offsets}`);
  }
  if (fields.analysisBasis !== undefined) lines.push(`-- analysis basis: ${fields.analysisBasis}`);
  if (fields.dataSource) {
    lines.push(`-- data source: ${fields.dataSource.name} (${where(fields.dataSource.provenance)})`);
  }
  if (fields.spec.configCommit) lines.push(`-- config commit: ${fields.spec.configCommit}`);
  for (const c of fields.columns ?? []) lines.push(`--   ${c.name}: ${where(c.provenance)}`);
  return `${lines.map(commentText).join('\n')}\n`;
}

export function indent(sql: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return sql
    .split('\n')
    .map((l) => (l.length > 0 ? pad + l : l))
    .join('\n');
}

/** `indent` over parts: the lines they land on, and so their references, are unchanged. */
export function indentParts(parts: SqlPart[], spaces: number): SqlPart[] {
  const pad = ' '.repeat(spaces);
  let lineStart = true;
  return parts.map((part) => {
    const text = typeof part === 'string' ? part : part.text;
    const indented = text
      .split('\n')
      .map((l, i) => ((i > 0 || lineStart) && l.length > 0 ? pad + l : l))
      .join('\n');
    if (text.length > 0) lineStart = text.endsWith('\n');
    return typeof part === 'string' ? indented : { ...part, text: indented };
  });
}

/** A piece of a query being rendered: plain text, or text traced to the config item it came from. */
export type SqlPart =
  | string
  | { text: string; column: string | null; provenance: Provenance; partial?: boolean };

/**
 * Joins the parts of a query and records the lines each traced part lands on, as the query is
 * rendered: the positions come from the parts themselves, never from searching the result.
 */
export function assembleSql(parts: SqlPart[]): { sql: string; references: SqlFragmentReference[] } {
  let sql = '';
  let line = 1;
  const references: SqlFragmentReference[] = [];
  for (const part of parts) {
    const text = typeof part === 'string' ? part : part.text;
    const newlines = text.split('\n').length - 1;
    if (typeof part !== 'string') {
      // A part that ends with its own line break ends on the line before it.
      const end = line + newlines - (text.endsWith('\n') && newlines > 0 ? 1 : 0);
      references.push({
        column: part.column,
        lines: { start: line, end },
        provenance: part.provenance,
        ...(part.partial ? { partial: true } : {}),
      });
    }
    sql += text;
    line += newlines;
  }
  return { sql, references };
}

/** `items` separated by `separator`, each traced item kept as its own part. */
export function joinParts(items: SqlPart[], separator: string): SqlPart[] {
  return items.flatMap((item, i) => (i === 0 ? [item] : [separator, item]));
}
