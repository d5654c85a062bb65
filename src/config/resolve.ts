import type { Experiment, IsoDate } from '../experiments/experiment.js';
import { STATISTIC_NAMES } from '../statistics/registry.js';
import type { ConfigCollection } from './collection.js';
import { customConfig } from './custom-config.js';
import { mergeDefined, mergeDefinitions, mergeFile, type SpecLayer } from './merge.js';
import { PERIOD_KEYS } from './names.js';
import type { ConfigFile, Defined, NameRef } from './parse.js';
import { type ConfigProblem, ProblemList } from './problems.js';
import {
  AGGREGATION_KEYS,
  type DataSourceDefinition,
  type MetricDefinition,
  type ParameterDefinition,
} from './schema.js';
import {
  AnalysisSpec,
  type DataSourceSpec,
  type ExposureSignalSpec,
  type MetricSpec,
  PERIOD_CONFIG_KEYS,
  type Provenance,
  type SegmentDataSourceSpec,
  type SegmentSpec,
  type StatisticSpec,
} from './spec.js';
import { didYouMean } from './suggest.js';
import type { TemplateContext } from './templates.js';

export interface ResolveOptions {
  /** A custom experiment config (a path, or TOML text) used instead of the repo's `jetstream/<slug>.toml`. */
  configFile?: string;
  /** Unknown keys become warnings instead of errors (old configs still run). */
  lenient?: boolean;
  /** The analysis date the spec is for; recorded on the spec. */
  asOfDate?: IsoDate;
}

export interface ResolvedSpec {
  spec: AnalysisSpec;
  warnings: ConfigProblem[];
}

/**
 * Resolves one experiment's analysis as jetstream would: platform defaults, then the
 * experiment's own config (the repo's, or `configFile`), then its outcomes (their metrics go
 * to the weekly and overall lists); every metric, data source and segment name looked up in
 * the experiment's own definitions first, then the platform's shared definitions (with the
 * jetstream overlay's statistics); templates rendered. Every problem found is reported at
 * once, as a ConfigError.
 *
 * jetstream also merges `defaults/<experiment type>.toml`; contrail's experiments are all
 * Nimbus (jetstream's type "v6") and no metric-hub has `defaults/v6.toml`, so that step is left out.
 */
export function resolveAnalysisSpec(
  collection: ConfigCollection,
  experiment: Experiment,
  options: ResolveOptions = {},
): ResolvedSpec {
  return new Resolver(collection, experiment, options).run();
}

const NO_FILE: Provenance = { file: '(Experimenter)', key: '', line: null };

class Resolver {
  private readonly problems = new ProblemList();
  private readonly platform: string;
  private readonly layer: SpecLayer;
  private readonly shared: SpecLayer;
  private readonly sources: ConfigFile[] = [];
  private experiment: Experiment;
  private readonly dataSourceSpecs = new Map<string, DataSourceSpec | null>();
  private readonly metricSpecs = new Map<string, MetricSpec | null>();
  private experimentContext: Record<string, unknown> = {};
  private parameterValues: Record<string, string> = {};

  constructor(
    private readonly collection: ConfigCollection,
    experiment: Experiment,
    private readonly options: ResolveOptions,
  ) {
    this.experiment = experiment;
    this.platform = experiment.appName;
    this.shared = collection.platformDefinitions(this.platform);
    this.layer = collection.defaultsLayer(this.platform);
  }

  private error(origin: Provenance, message: string): void {
    this.problems.error({ file: origin.file, line: origin.line, keyPath: origin.key, message });
  }

  /**
   * An error in a definition, reported at the definition and naming the line that pulled it in
   * (a period list, a depends_on, a statistic's numerator) when that is somewhere else.
   */
  private definitionError(origin: Provenance, message: string, usedAt: Provenance): void {
    const elsewhere = usedAt.file !== origin.file || usedAt.line !== origin.line;
    const where = usedAt.line === null ? usedAt.file : `${usedAt.file}:${usedAt.line}`;
    this.error(
      origin,
      elsewhere && usedAt !== NO_FILE ? `${message} (used at ${where}: ${usedAt.key})` : message,
    );
  }

  /**
   * Records a file as a source and takes on its own problems. Unknown keys in shared files
   * (definitions, defaults, outcomes) are warnings here: the experiment's author cannot fix
   * them, and `contrail validate` on the shared file itself reports them as errors.
   */
  private use(file: ConfigFile): void {
    if (this.sources.includes(file)) return;
    this.sources.push(file);
    for (const p of file.errors) this.problems.error(p);
    for (const p of file.ignoredKeys) this.problems.warning(p);
    for (const p of file.unknownKeys) {
      if (this.options.lenient || file.kind !== 'experiment') this.problems.warning(p);
      else
        this.problems.error({
          ...p,
          message: `${p.message} (use --lenient to accept unknown keys as warnings)`,
        });
    }
  }

  run(): ResolvedSpec {
    const { collection, platform } = this;
    if (!collection.platforms().includes(platform)) {
      this.error(
        NO_FILE,
        `no definitions for platform '${platform}'${didYouMean(platform, collection.platforms())}; platforms: ${collection.platforms().join(', ')}`,
      );
      this.problems.throwIfErrors();
    }
    for (const file of collection.definitionFiles(platform)) this.use(file);
    for (const file of collection.functionFiles()) this.use(file);
    for (const file of collection.defaultsFiles(platform)) this.use(file);
    const own =
      this.options.configFile !== undefined
        ? [customConfig(this.options.configFile, this.experiment.slug)]
        : collection.experimentFiles(this.experiment.slug);
    for (const file of own) {
      this.use(file);
      mergeFile(this.layer, file);
    }
    this.problems.throwIfErrors(`experiment '${this.experiment.slug}' has an invalid config:`);

    this.applyExperimentOverrides();
    this.mergeOutcomes();
    this.parameterValues = this.formatParameters();
    const spec = this.build();
    this.problems.throwIfErrors(`experiment '${this.experiment.slug}' (${platform}) cannot be resolved:`);
    return { spec: AnalysisSpec.parse(spec), warnings: this.problems.warnings };
  }

  /** `[experiment]` overrides Experimenter: dates, reference branch, segments, outcomes. */
  private applyExperimentOverrides(): void {
    const e = this.layer.experiment?.def ?? {};
    const x = this.experiment;
    const outcomes = [...x.outcomes, ...(e.outcomes ?? []).filter((o) => !x.outcomes.includes(o))];
    const segments = [...(e.segments ?? []), ...x.segments.filter((s) => !(e.segments ?? []).includes(s))];
    this.experiment = {
      ...x,
      startDate: e.start_date ?? x.startDate,
      endDate: e.end_date ?? x.endDate,
      referenceBranch: e.reference_branch ?? x.referenceBranch,
      // An end date in the config means the experiment is over (jetstream: status Complete).
      status: e.end_date ? 'complete' : x.status,
      outcomes,
      segments,
    };
    const ref = this.experiment.referenceBranch;
    const branches = this.experiment.branches.map((b) => b.slug);
    if (ref !== null && e.reference_branch !== undefined && !branches.includes(ref)) {
      this.error(
        this.field('experiment', 'reference_branch'),
        `reference_branch '${ref}' is not a branch of the experiment${didYouMean(ref, branches)}; branches: ${branches.join(', ')}`,
      );
    }
    const start = this.experiment.startDate;
    const period = this.enrollmentPeriod();
    const addDays = (date: string, days: number) =>
      new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
    const experiment = this.experiment;
    const missing = (what: string) => () => {
      throw new Error(`experiment '${experiment.slug}' has no ${what}`);
    };
    const context: Record<string, unknown> = {
      slug: experiment.slug,
      normandy_slug: experiment.slug,
      experimenter_slug: experiment.slug,
      app_name: experiment.appName,
      app_id: experiment.appId,
      channel: experiment.channel,
      reference_branch: experiment.referenceBranch,
      branches: experiment.branches.map((b) => b.slug),
      enrollment_period: period,
      proposed_enrollment: experiment.proposedEnrollment,
      is_rollout: experiment.isRollout,
      segments: experiment.segments,
      outcomes: experiment.outcomes,
      start_date: experiment.startDate,
      end_date: experiment.endDate,
      sample_size: this.layer.experiment?.def.sample_size ?? null,
    };
    Object.defineProperties(context, {
      start_date_str: { enumerable: true, get: start ? () => start : missing('start date') },
      end_date_str: {
        enumerable: true,
        get: experiment.endDate ? () => experiment.endDate : missing('end date'),
      },
      last_enrollment_date_str: {
        enumerable: true,
        get: start ? () => addDays(start, period) : missing('start date'),
      },
    });
    this.experimentContext = context;
  }

  /** jetstream: the config's enrollment_period, else enrollment end − start + 1, else proposed enrollment. */
  private enrollmentPeriod(): number {
    const e = this.layer.experiment?.def;
    if (e?.enrollment_period !== undefined) return e.enrollment_period;
    const { enrollmentEndDate, startDate, proposedEnrollment } = this.experiment;
    if (enrollmentEndDate && startDate)
      return Math.round((Date.parse(enrollmentEndDate) - Date.parse(startDate)) / 86_400_000) + 1;
    return proposedEnrollment ?? 0;
  }

  private field(_section: 'experiment', key: string): Provenance {
    return this.layer.experiment?.fields[key] ?? this.layer.experiment?.origin ?? NO_FILE;
  }

  /** Outcome metrics join the weekly and overall lists; outcome definitions sit under the config's own. */
  private mergeOutcomes(): void {
    for (const slug of this.experiment.outcomes) {
      const file = this.collection.outcome(this.platform, slug);
      if (!file) {
        const origin = this.layer.experiment?.def.outcomes?.includes(slug)
          ? this.field('experiment', 'outcomes')
          : NO_FILE;
        const known = this.collection.outcomeSlugs(this.platform);
        this.error(
          origin,
          `outcome '${slug}' does not exist for platform '${this.platform}'${didYouMean(slug, known)}; outcomes: ${known.join(', ') || 'none'}`,
        );
        continue;
      }
      this.use(file);
      const declared = PERIOD_KEYS.filter((key) => (file.metricLists[key] ?? []).length > 0);
      if (declared.length > 0) {
        // The outcome says which periods its metrics are computed for.
        for (const key of declared) this.layer.metricLists[key].push(...(file.metricLists[key] ?? []));
      } else {
        // Without period lists, every metric of the outcome is computed weekly and overall.
        const refs: NameRef[] = [...file.metrics.values()].map((m) => ({ name: m.name, origin: m.origin }));
        this.layer.metricLists.weekly.push(...refs);
        this.layer.metricLists.overall.push(...refs);
      }
      const metrics = new Map(file.metrics);
      mergeDefinitions(metrics, this.layer.metrics);
      this.layer.metrics = metrics;
      const dataSources = new Map(file.dataSources);
      mergeDefinitions(dataSources, this.layer.dataSources);
      this.layer.dataSources = dataSources;
      for (const [name, param] of file.parameters) {
        const own = this.layer.parameters.get(name);
        this.layer.parameters.set(name, own ? mergeParameter(own, param) : param);
      }
    }
  }

  /** Values for `{{parameters.x}}`: one string, or a CASE on the branch for per-branch values. */
  private formatParameters(): Record<string, string> {
    const out: Record<string, string> = {};
    const branches = this.experiment.branches.map((b) => b.slug);
    for (const [name, param] of this.layer.parameters) {
      const value = param.def.value ?? param.def.default;
      if (value === undefined) continue;
      if (typeof value === 'string') {
        out[name] = value;
        continue;
      }
      const origin = param.fields.value ?? param.fields.default ?? param.origin;
      for (const branch of Object.keys(value)) {
        if (!branches.includes(branch))
          this.problems.warning({
            file: origin.file,
            line: origin.line,
            keyPath: origin.key,
            message: `parameter '${name}' has a value for '${branch}', which is not a branch of the experiment${didYouMean(branch, branches)}; branches: ${branches.join(', ')}`,
          });
      }
      for (const branch of branches.filter((b) => !(b in value))) {
        this.problems.warning({
          file: origin.file,
          line: origin.line,
          keyPath: origin.key,
          message: `parameter '${name}' has no value for branch '${branch}' (its clients get NULL)`,
        });
      }
      // Single-quoted SQL string literals work in BigQuery and DuckDB alike (jetstream writes
      // double quotes, which DuckDB reads as identifiers).
      const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
      out[name] = `CASE e.branch ${Object.entries(value)
        .map(([b, v]) => `WHEN ${quote(b)} THEN ${quote(v)}`)
        .join(' ')} END`;
    }
    return out;
  }

  private render(
    source: string,
    origin: Provenance,
    context: TemplateContext,
    usedAt: Provenance = origin,
  ): string | null {
    try {
      return this.collection.renderer().render(source, context);
    } catch (error) {
      this.definitionError(origin, error instanceof Error ? error.message : String(error), usedAt);
      return null;
    }
  }

  private build(): AnalysisSpec {
    const metrics = {} as AnalysisSpec['metrics'];
    for (const key of PERIOD_KEYS) {
      const period = PERIOD_CONFIG_KEYS[key];
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
      for (const ref of this.layer.metricLists[key]) add(ref.name, ref.origin);
      metrics[period] = list;
    }
    const e = this.layer.experiment?.def ?? {};
    const enrollmentQuery =
      e.enrollment_query === undefined
        ? null
        : this.render(e.enrollment_query, this.field('experiment', 'enrollment_query'), {
            experiment: this.experimentContext,
          });
    const segments: SegmentSpec[] = [];
    const segmentDataSources: Record<string, SegmentDataSourceSpec> = {};
    for (const name of this.experiment.segments) {
      const origin = this.layer.experiment?.def.segments?.includes(name)
        ? this.field('experiment', 'segments')
        : NO_FILE;
      const segment = this.segment(name, origin, segmentDataSources);
      if (segment) segments.push(segment);
    }
    const usedDataSources: Record<string, DataSourceSpec> = {};
    for (const [name, ds] of this.dataSourceSpecs) if (ds) usedDataSources[name] = ds;
    return {
      experiment: this.experiment,
      enrollmentPeriod: this.enrollmentPeriod(),
      enrollmentsQueryType: e.enrollments_query_type ?? defaultQueryType(this.platform),
      enrollmentQuery,
      sampleSize: e.sample_size ?? null,
      analysisUnit: e.analysis_unit === 'profile_group_id' ? 'profile_group' : 'client',
      exposureSignal: this.exposureSignal(),
      segments,
      segmentDataSources,
      dataSources: usedDataSources,
      metrics,
      skip: e.skip ?? false,
      isPrivate: e.is_private ?? false,
      datasetId: e.dataset_id ?? null,
      sources: this.sources.map((f) => f.file),
      configCommit: this.collection.commit,
      asOfDate: this.options.asOfDate ?? null,
    };
  }

  /** Resolves a metric by name (memoized); null after reporting why it cannot be. */
  private metric(name: string, refOrigin: Provenance, stack: string[]): MetricSpec | null {
    if (stack.includes(name)) {
      const cycle = [...stack.slice(stack.indexOf(name)), name].join(' → ');
      this.error(refOrigin, `depends_on cycle: ${cycle}`);
      return null;
    }
    if (this.metricSpecs.has(name)) return this.metricSpecs.get(name) ?? null;
    const own = this.layer.metrics.get(name);
    const shared = this.shared.metrics.get(name);
    if (!own && !shared) {
      const known = new Set([...this.layer.metrics.keys(), ...this.shared.metrics.keys()]);
      this.error(
        refOrigin,
        `metric '${name}' is not defined in the experiment's config, its outcomes or definitions/${this.platform}.toml${didYouMean(name, known)}`,
      );
      this.metricSpecs.set(name, null);
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
    if (def.aggregation !== undefined && def.select_expression === undefined) {
      this.definitionError(
        entry.fields.aggregation ?? entry.origin,
        `metric '${name}' is defined by 'aggregation' (${AGGREGATION_KEYS.join(', ')}), which contrail does not render; write its select_expression instead`,
        refOrigin,
      );
    } else if (def.select_expression === undefined || def.data_source === undefined) {
      if (!def.depends_on?.length) {
        const missing = def.select_expression === undefined ? 'select_expression' : 'data_source';
        this.definitionError(
          entry.origin,
          `metric '${name}' has no ${missing} (and no depends_on)`,
          refOrigin,
        );
      }
    } else {
      const context: TemplateContext = def.select_expression.includes('parameters')
        ? { parameters: this.parameterValues }
        : {};
      selectExpression = this.render(
        def.select_expression,
        fieldOrigin('select_expression'),
        context,
        refOrigin,
      );
      dataSource = this.dataSource(def.data_source, fieldOrigin('data_source')) ? def.data_source : null;
    }
    const statistics = this.statistics(entry, refOrigin);
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
    this.metricSpecs.set(name, spec);
    return spec;
  }

  private statistics(entry: Defined<MetricDefinition>, usedAt: Provenance): StatisticSpec[] {
    const stats = entry.def.statistics;
    if (!stats || Object.keys(stats).length === 0) {
      this.definitionError(
        entry.origin,
        `metric '${entry.name}' has no statistics; add e.g. [metrics.${entry.name}.statistics] bootstrap_mean = {} (statistics: ${STATISTIC_NAMES.join(', ')})`,
        usedAt,
      );
      return [];
    }
    const out: StatisticSpec[] = [];
    for (const [name, raw] of Object.entries(stats)) {
      // parse.ts has reported anything that is not a table of parameters
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) continue;
      const { pre_treatments: pre, ...params } = raw as Record<string, unknown>;
      for (const key of ['numerator', 'denominator']) {
        const ref = params[key];
        if (typeof ref === 'string' && !this.layer.metrics.has(ref) && !this.shared.metrics.has(ref)) {
          const known = new Set([...this.layer.metrics.keys(), ...this.shared.metrics.keys()]);
          this.error(
            entry.fields.statistics ?? entry.origin,
            `statistic '${name}' of metric '${entry.name}': ${key} '${ref}' is not a defined metric${didYouMean(ref, known)}`,
          );
        }
      }
      const preTreatments = Array.isArray(pre)
        ? pre.map((p: unknown) => {
            if (typeof p === 'string') return { name: p, args: {} };
            const { name: ptName, ...args } = p as { name: string } & Record<string, never>;
            return { name: ptName, args };
          })
        : [];
      out.push({ name, params: params as StatisticSpec['params'], preTreatments });
    }
    return out;
  }

  /** Resolves a data source by name (memoized); false after reporting why it cannot be. */
  private dataSource(name: string, refOrigin: Provenance): boolean {
    if (this.dataSourceSpecs.has(name)) return this.dataSourceSpecs.get(name) !== null;
    this.dataSourceSpecs.set(name, null);
    const own = this.layer.dataSources.get(name);
    const shared = this.shared.dataSources.get(name);
    const entry = own && shared ? mergeDefined(shared, own) : (own ?? shared);
    if (!entry) {
      const known = new Set([...this.layer.dataSources.keys(), ...this.shared.dataSources.keys()]);
      this.error(
        refOrigin,
        `data source '${name}' is not defined in the experiment's config, its outcomes or definitions/${this.platform}.toml${didYouMean(name, known)}`,
      );
      return false;
    }
    const spec = this.dataSourceSpec(entry);
    if (!spec) return false;
    this.dataSourceSpecs.set(name, spec);
    for (const join of Object.keys(entry.def.joins ?? {}))
      this.dataSource(join, entry.fields.joins ?? entry.origin);
    return true;
  }

  private dataSourceSpec(entry: Defined<DataSourceDefinition>): DataSourceSpec | null {
    const def = entry.def;
    if (def.from_expression === undefined) {
      this.error(entry.origin, `data source '${entry.name}' has no from_expression`);
      return null;
    }
    const fromExpression = this.fromExpression(
      entry.name,
      def.from_expression,
      def.default_dataset,
      entry.fields.from_expression ?? entry.origin,
    );
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

  /** Renders `{{experiment.*}}` and fills mozanalysis's `{dataset}` placeholder. */
  private fromExpression(
    name: string,
    source: string,
    defaultDataset: string | undefined,
    origin: Provenance,
  ): string | null {
    const rendered = this.render(source, origin, { experiment: this.experimentContext });
    if (rendered === null) return null;
    if (!/\{dataset\}/.test(rendered)) return rendered;
    if (defaultDataset === undefined) {
      this.error(
        origin,
        `from_expression of '${name}' uses {dataset} but the data source has no default_dataset`,
      );
      return null;
    }
    return rendered.replaceAll('{dataset}', defaultDataset);
  }

  private segment(
    name: string,
    refOrigin: Provenance,
    dataSources: Record<string, SegmentDataSourceSpec>,
  ): SegmentSpec | null {
    const entry = this.layer.segments.get(name) ?? this.shared.segments.get(name);
    if (!entry) {
      const known = new Set([...this.layer.segments.keys(), ...this.shared.segments.keys()]);
      this.error(
        refOrigin,
        `segment '${name}' is not defined in the experiment's config or definitions/${this.platform}.toml${didYouMean(name, known)}`,
      );
      return null;
    }
    const { data_source: dsName, select_expression: select } = entry.def;
    if (dsName === undefined || select === undefined) {
      this.error(
        entry.origin,
        `segment '${name}' needs ${dsName === undefined ? 'data_source' : 'select_expression'}`,
      );
      return null;
    }
    const selectExpression = this.render(select, entry.fields.select_expression ?? entry.origin, {});
    const ds = this.layer.segmentDataSources.get(dsName) ?? this.shared.segmentDataSources.get(dsName);
    const dsOrigin = entry.fields.data_source ?? entry.origin;
    if (!ds) {
      const known = new Set([
        ...this.layer.segmentDataSources.keys(),
        ...this.shared.segmentDataSources.keys(),
      ]);
      this.error(
        dsOrigin,
        `segment data source '${dsName}' is not defined under [segments.data_sources] in the experiment's config or definitions/${this.platform}.toml${didYouMean(dsName, known)}`,
      );
      return null;
    }
    if (ds.def.from_expression === undefined) {
      this.error(ds.origin, `segment data source '${dsName}' has no from_expression`);
      return null;
    }
    const fromExpression = this.fromExpression(
      dsName,
      ds.def.from_expression,
      ds.def.default_dataset,
      ds.fields.from_expression ?? ds.origin,
    );
    if (selectExpression === null || fromExpression === null) return null;
    dataSources[dsName] = {
      name: dsName,
      fromExpression,
      clientIdColumn: ds.def.client_id_column ?? 'client_id',
      submissionDateColumn: ds.def.submission_date_column ?? 'submission_date',
      windowStart: ds.def.window_start ?? 0,
      windowEnd: ds.def.window_end ?? 0,
      provenance: ds.origin,
    };
    return {
      name,
      selectExpression,
      dataSource: dsName,
      friendlyName: entry.def.friendly_name ?? null,
      description: entry.def.description ?? null,
      provenance: entry.origin,
    };
  }

  private exposureSignal(): ExposureSignalSpec | null {
    const signal = this.layer.experiment?.def.exposure_signal;
    if (!signal) return null;
    const origin = this.field('experiment', 'exposure_signal');
    const at = (key: string): Provenance => ({ ...origin, key: `experiment.exposure_signal.${key}` });
    this.dataSource(signal.data_source, at('data_source'));
    const selectExpression = this.render(signal.select_expression, at('select_expression'), {});
    if (selectExpression === null) return null;
    return {
      name: signal.name,
      friendlyName: signal.friendly_name,
      description: signal.description,
      selectExpression,
      dataSource: signal.data_source,
      windowStart: signal.window_start ?? null,
      windowEnd: signal.window_end ?? null,
      provenance: origin,
    };
  }
}

/** jetstream's rule for merging an outcome's parameter into the config's: the config's value wins, defaults fill in. */
function mergeParameter(
  own: Defined<ParameterDefinition>,
  outcome: Defined<ParameterDefinition>,
): Defined<ParameterDefinition> {
  const fallback = own.def.default ?? outcome.def.default;
  const value = own.def.value ?? outcome.def.value ?? fallback;
  const merged =
    typeof value === 'object' && typeof fallback === 'object' ? { ...fallback, ...value } : value;
  return {
    name: own.name,
    def: {
      friendly_name: own.def.friendly_name ?? outcome.def.friendly_name,
      description: own.def.description ?? outcome.def.description,
      value: merged,
      default: fallback,
      distinct_by_branch: own.def.distinct_by_branch ?? outcome.def.distinct_by_branch,
    },
    origin: own.origin,
    fields: { ...outcome.fields, ...own.fields },
  };
}

/** The built-in enrollment query per platform when the config names none (jetstream's defaults). */
function defaultQueryType(platform: string): AnalysisSpec['enrollmentsQueryType'] {
  if (platform === 'firefox_desktop') return 'normandy';
  return 'glean-event';
}
