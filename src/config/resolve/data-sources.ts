import type { Provenance } from '../../provenance.js';
import type { Defined } from '../config-file.js';
import { mergeDefined } from '../merge.js';
import type { DataSourceDefinition } from '../schema.js';
import type { DataSourceSpec } from '../spec.js';
import { usesVariable } from '../templates.js';
import type { Resolution } from './context.js';

/**
 * The data sources an analysis reads, resolved once each by name as metrics (and the exposure
 * signal) ask for them: the config's own definition over the platform's, field by field, with
 * the data sources it joins. Only data sources something asks for go into the spec.
 */
export class DataSources {
  /** Asked-for names in the order first asked; null while resolving or when it failed. */
  private readonly specs = new Map<string, DataSourceSpec | null>();

  constructor(private readonly r: Resolution) {}

  /** Resolves a data source by name (memoized); false after reporting why it cannot be. */
  resolve(name: string, refOrigin: Provenance): boolean {
    if (this.specs.has(name)) return this.specs.get(name) !== null;
    this.specs.set(name, null);
    const { layer, shared } = this.r;
    const own = layer.dataSources.get(name);
    const base = shared.dataSources.get(name);
    const entry = own && base ? mergeDefined(base, own) : (own ?? base);
    if (!entry) {
      this.r.notDefined(refOrigin, 'dataSources', name);
      return false;
    }
    const spec = this.spec(entry);
    if (!spec) return false;
    this.specs.set(name, spec);
    for (const join of Object.keys(entry.def.joins ?? {}))
      this.resolve(join, entry.fields.joins ?? entry.origin);
    return true;
  }

  /** Every data source resolved so far, by name. */
  resolved(): Record<string, DataSourceSpec> {
    const out: Record<string, DataSourceSpec> = {};
    for (const [name, ds] of this.specs) if (ds) out[name] = ds;
    return out;
  }

  private spec(entry: Defined<DataSourceDefinition>): DataSourceSpec | null {
    const def = entry.def;
    const fromExpression = renderFromExpression(this.r, 'data source', entry);
    if (fromExpression === null) return null;
    return {
      name: entry.name,
      fromExpression,
      clientIdColumn: def.client_id_column ?? 'client_id',
      submissionDateColumn: def.submission_date_column ?? 'submission_date',
      groupIdColumn: def.group_id_column ?? 'profile_group_id',
      experimentsColumnType: def.experiments_column_type ?? 'simple',
      defaultDataset: def.default_dataset ?? null,
      provenance: entry.origin,
    };
  }
}

/**
 * The FROM of a data source or a segment data source, `{{experiment.*}}` rendered; null after
 * reporting why it cannot be. mozanalysis's `{dataset}` placeholder stays for the plan to fill:
 * metrics and segments read the experiment's app dataset there (a beta app's tables, not the
 * release ones `default_dataset` names), exposure signals `default_dataset`. Like mozanalysis,
 * a data source using it must still name a `default_dataset`.
 */
export function renderFromExpression(
  r: Resolution,
  what: 'data source' | 'segment data source',
  entry: Defined<{ from_expression?: string | undefined; default_dataset?: string | undefined }>,
): string | null {
  const { from_expression: source, default_dataset: defaultDataset } = entry.def;
  if (source === undefined) {
    r.error(entry.origin, `${what} '${entry.name}' has no from_expression`);
    return null;
  }
  const origin = entry.fields.from_expression ?? entry.origin;
  // A data source's FROM is a template only where it uses the experiment, as in jetstream:
  // elsewhere `{{` and `}}` are `str.format`'s escaped braces (a literal add-on id
  // `'{{d10d0bf8-…}}'`), which the plan reads as such. A segment data source's always is one.
  const template = what === 'segment data source' || usesVariable(source, 'experiment');
  const rendered = template ? r.render(source, origin, { experiment: r.experimentContext }) : source;
  if (rendered === null) return null;
  if (/\{dataset\}/.test(rendered) && defaultDataset === undefined) {
    r.error(
      origin,
      `from_expression of '${entry.name}' uses {dataset} but the data source has no default_dataset`,
    );
    return null;
  }
  return rendered;
}
