import type { Experiment } from '../../experiments/experiment.js';
import type { Provenance } from '../../provenance.js';
import { didYouMean } from '../../suggest.js';
import type { ConfigCollection } from '../collection.js';
import type { ConfigFile } from '../config-file.js';
import type { SpecLayer } from '../merge.js';
import { ProblemList, unknownKeyError } from '../problems.js';
import type { TemplateContext } from '../templates.js';

/** The place of a problem that comes from the Experimenter record rather than a file. */
export const NO_FILE: Provenance = { file: '(Experimenter)', key: '', line: null };

/** Sections whose definitions are looked up by name, the experiment's own first. */
type DefinitionSection = 'metrics' | 'dataSources' | 'segments' | 'segmentDataSources';

/** How a name missing from a section is reported: what it is, and where it was looked for. */
const NOT_DEFINED: Record<DefinitionSection, { what: string; where: string }> = {
  metrics: { what: 'metric', where: "in the experiment's config, its outcomes or" },
  dataSources: { what: 'data source', where: "in the experiment's config, its outcomes or" },
  segments: { what: 'segment', where: "in the experiment's config or" },
  segmentDataSources: {
    what: 'segment data source',
    where: "under [segments.data_sources] in the experiment's config or",
  },
};

/**
 * The state of one experiment's resolution, shared by its steps (experiment overrides,
 * outcomes, parameters, metrics, data sources, segments, exposure signal): the two layers
 * names are looked up in, the experiment as the config has changed it, the values templates
 * see, the files used, and every problem found so far.
 */
export class Resolution {
  readonly problems = new ProblemList();
  readonly platform: string;
  /** The experiment's own definitions: platform defaults, its config, then its outcomes'. */
  readonly layer: SpecLayer;
  /** The platform's shared definitions, with the jetstream overlay folded in. */
  readonly shared: SpecLayer;
  /** Files that contributed, in the order they were used. */
  readonly sources: ConfigFile[] = [];
  /** The Experimenter record, then with the config's `[experiment]` overrides applied. */
  experiment: Experiment;
  /** `{{experiment.*}}` values (see experiment.ts). */
  experimentContext: Record<string, unknown> = {};
  /** `{{parameters.*}}` values (see parameters.ts). */
  parameterValues: Record<string, string> = {};
  /** Parameters with a value per branch: their value is a SQL expression, not a string. */
  parameterBranches: ReadonlySet<string> = new Set();

  constructor(
    readonly collection: ConfigCollection,
    experiment: Experiment,
    private readonly lenient: boolean,
  ) {
    this.experiment = experiment;
    this.platform = experiment.appName;
    this.shared = collection.platformDefinitions(this.platform);
    this.layer = collection.defaultsLayer(this.platform);
  }

  error(origin: Provenance, message: string): void {
    this.problems.error({ file: origin.file, line: origin.line, keyPath: origin.key, message });
  }

  /**
   * An error in a definition, reported at the definition and naming the line that pulled it in
   * (a period list, a depends_on, a statistic's numerator) when that is somewhere else.
   */
  definitionError(origin: Provenance, message: string, usedAt: Provenance): void {
    const elsewhere = usedAt.file !== origin.file || usedAt.line !== origin.line;
    const where = usedAt.line === null ? usedAt.file : `${usedAt.file}:${usedAt.line}`;
    this.error(
      origin,
      elsewhere && usedAt !== NO_FILE ? `${message} (used at ${where}: ${usedAt.key})` : message,
    );
  }

  /** A name defined in neither layer, with the closest defined name. */
  notDefined(origin: Provenance, section: DefinitionSection, name: string): void {
    this.error(origin, `${this.notDefinedText(section, name)}${this.outcomesDefining(section, name)}`);
  }

  /** "metric 'x' is not defined in … definitions/<platform>.toml (did you mean …?)" */
  notDefinedText(section: DefinitionSection, name: string): string {
    const { what, where } = NOT_DEFINED[section];
    return `${what} '${name}' is not defined ${where} definitions/${this.platform}.toml${didYouMean(name, this.knownNames(section))}`;
  }

  /**
   * Where a name missing from this experiment is defined after all: in an outcome of the platform
   * that the experiment does not list. Its outcomes come from Experimenter, which a config checked
   * on its own lacks, so the author is told how to bring that outcome in. Empty when none defines it.
   */
  outcomesDefining(section: DefinitionSection, name: string): string {
    if (section !== 'metrics' && section !== 'dataSources') return '';
    const outcomes = this.collection
      .outcomeSlugs(this.platform)
      .filter((slug) => !this.experiment.outcomes.includes(slug))
      .filter((slug) => this.collection.outcome(this.platform, slug)?.[section].has(name));
    if (outcomes.length === 0) return '';
    const names = outcomes.map((o) => `'${o}'`).join(', ');
    return `; the outcome${outcomes.length === 1 ? '' : 's'} ${names} of ${this.platform} define${outcomes.length === 1 ? 's' : ''} it, and this experiment does not use ${outcomes.length === 1 ? 'it' : 'them'}: add outcomes = [${names.replaceAll("'", '"')}] to [experiment], or check the config with the experiment's Experimenter record, which names its outcomes (--experiments_file)`;
  }

  /** Every name either layer defines, the experiment's own first. */
  knownNames(section: DefinitionSection): Set<string> {
    return new Set([...this.layer[section].keys(), ...this.shared[section].keys()]);
  }

  /** Whether either layer defines a name. */
  defines(section: DefinitionSection, name: string): boolean {
    return this.layer[section].has(name) || this.shared[section].has(name);
  }

  /**
   * Records a file as a source and takes on its own problems. Unknown keys in shared files
   * (definitions, defaults, outcomes) are warnings here: the experiment's author cannot fix
   * them, and `contrail validate` on the shared file itself reports them as errors.
   */
  use(file: ConfigFile): void {
    if (this.sources.includes(file)) return;
    this.sources.push(file);
    for (const p of [...file.errors, ...file.parameterErrors]) this.problems.error(p);
    for (const p of file.ignoredKeys) this.problems.warning(p);
    for (const p of file.unknownKeys) {
      if (this.lenient || file.kind !== 'experiment') this.problems.warning(p);
      else this.problems.error(unknownKeyError(p));
    }
  }

  /** Where a field of the config's `[experiment]` is written (the section, or Experimenter if none). */
  experimentField(key: string): Provenance {
    return this.layer.experiment?.fields[key] ?? this.layer.experiment?.origin ?? NO_FILE;
  }

  /** A config SQL fragment with its templates rendered; null after reporting why it cannot be. */
  render(
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
}
