import type { Provenance } from '../../provenance.js';
import type { Defined } from '../config-file.js';
import { mergeDefined } from '../merge.js';
import { PERIOD_KEYS } from '../names.js';
import { PERIOD_CONFIG_KEYS } from '../periods.js';
import { AGGREGATION_KEYS, type MetricDefinition } from '../schema.js';
import type { AnalysisSpec, MetricSpec } from '../spec.js';
import type { TemplateContext } from '../templates.js';
import type { Resolution } from './context.js';
import type { DataSources } from './data-sources.js';
import { unquoteBranchParameters } from './parameters.js';
import { statisticSpecs } from './statistics.js';

/**
 * The metrics of each analysis period, from the period lists: every metric resolved once by
 * name, the config's own definition over the platform's (unless the config writes the whole
 * SQL itself), its depends_on first, its SQL rendered and its data source resolved.
 */
export class Metrics {
  /** Resolved metrics by name; null when one cannot be resolved (reported once). */
  private readonly specs = new Map<string, MetricSpec | null>();

  constructor(
    private readonly r: Resolution,
    private readonly dataSources: DataSources,
  ) {}

  /** Each analysis period's metrics, a metric's dependencies listed before it. */
  byPeriod(): AnalysisSpec['metrics'] {
    const metrics = {} as AnalysisSpec['metrics'];
    for (const key of PERIOD_KEYS) {
      const seen = new Set<string>();
      const list: MetricSpec[] = [];
      const add = (name: string, origin: Provenance) => {
        if (seen.has(name)) return;
        const spec = this.metric(name, origin, []);
        if (!spec) return;
        // Metrics a metric depends on are listed before it, so consumers find their definitions.
        for (const dep of spec.dependsOn) add(dep, spec.provenance);
        seen.add(name);
        list.push(spec);
      };
      for (const ref of this.r.layer.metricLists[key]) add(ref.name, ref.origin);
      metrics[PERIOD_CONFIG_KEYS[key]] = list;
    }
    return metrics;
  }

  /** Resolves a metric by name (memoized); null after reporting why it cannot be. */
  private metric(name: string, refOrigin: Provenance, stack: string[]): MetricSpec | null {
    const { r } = this;
    if (stack.includes(name)) {
      const cycle = [...stack.slice(stack.indexOf(name)), name].join(' → ');
      r.error(refOrigin, `depends_on cycle: ${cycle}`);
      return null;
    }
    if (this.specs.has(name)) return this.specs.get(name) ?? null;
    const own = r.layer.metrics.get(name);
    const shared = r.shared.metrics.get(name);
    if (!own && !shared) {
      r.notDefined(refOrigin, 'metrics', name);
      this.specs.set(name, null);
      return null;
    }
    const ownSql = own?.def.select_expression !== undefined && own.def.data_source !== undefined;
    const entry: Defined<MetricDefinition> =
      ownSql || !shared ? (own as Defined<MetricDefinition>) : own ? mergeDefined(shared, own) : shared;
    const def = entry.def;
    const fieldOrigin = (key: string) => entry.fields[key] ?? entry.origin;
    const dependsOn: string[] = [];
    for (const dep of def.depends_on ?? []) {
      const spec = this.metric(dep, fieldOrigin('depends_on'), [...stack, name]);
      if (spec) dependsOn.push(dep);
    }
    let selectExpression: string | null = null;
    let dataSource: string | null = null;
    // Defined nowhere: what its own table lacks besides (statistics) would only repeat that.
    let undefinedHere = false;
    if (def.aggregation !== undefined && def.select_expression === undefined) {
      r.definitionError(
        entry.fields.aggregation ?? entry.origin,
        `metric '${name}' is defined by 'aggregation' (${AGGREGATION_KEYS.join(', ')}), which contrail does not render; write its select_expression instead`,
        refOrigin,
      );
    } else if (def.select_expression === undefined || def.data_source === undefined) {
      if (!def.depends_on?.length) {
        // A table with neither key only sets statistics (or a description) for a metric it expects
        // to be defined elsewhere: say that it is defined nowhere, not only what the table lacks.
        undefinedHere = !shared && def.select_expression === undefined && def.data_source === undefined;
        const missing = def.select_expression === undefined ? 'select_expression' : 'data_source';
        r.definitionError(
          entry.origin,
          undefinedHere
            ? `${r.notDefinedText('metrics', name)}, and [metrics.${name}] here has no select_expression and data_source (and no depends_on) to define it${r.outcomesDefining('metrics', name)}`
            : `metric '${name}' has no ${missing} (and no depends_on)`,
          refOrigin,
        );
      }
    } else {
      const context: TemplateContext = def.select_expression.includes('parameters')
        ? { parameters: r.parameterValues }
        : {};
      selectExpression = r.render(
        unquoteBranchParameters(r, def.select_expression, fieldOrigin('select_expression'), name),
        fieldOrigin('select_expression'),
        context,
        refOrigin,
      );
      dataSource = this.dataSources.resolve(def.data_source, fieldOrigin('data_source'))
        ? def.data_source
        : null;
    }
    const statistics = undefinedHere ? [] : statisticSpecs(r, entry, refOrigin);
    const spec: MetricSpec = {
      name,
      selectExpression,
      dataSource,
      friendlyName: def.friendly_name ?? null,
      description: def.description ?? null,
      biggerIsBetter: def.bigger_is_better ?? true,
      analysisBases: def.analysis_bases ?? ['enrollments', 'exposures'],
      category: def.category ?? null,
      type: def.type ?? null,
      dependsOn,
      statistics,
      // the SQL's own line, so rendered queries and their errors point at what to edit
      provenance: entry.fields.select_expression ?? entry.origin,
    };
    this.specs.set(name, spec);
    return spec;
  }
}
