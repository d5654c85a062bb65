import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigFile } from './config-file.js';
import { emptyLayer, mergeFile, mergeSharedDefinitions, type SpecLayer } from './merge.js';
import { ConfigError } from './problems.js';
import { type RepoFile, type RepoSnapshot, readConfigRepo } from './repo-files.js';
import { commitsOfCollection, joinCommits } from './repo-history.js';
import { TemplateRenderer } from './templates.js';

/**
 * Config collections: every metric-hub file of one or more config repos, parsed once,
 * with the lookups resolution needs (platform defaults, merged platform definitions,
 * outcomes, functions). Repos are read in order and later ones win (public, then private);
 * how one repo is read is `repo-files.ts`.
 */
export class ConfigCollection {
  /** Commit hash(es) the files were read at, `+`-joined over repos; null when no repo is git. */
  readonly commit: string | null;
  private readonly platformCache = new Map<string, SpecLayer>();
  private rendererCache: TemplateRenderer | null = null;

  /** Every file, in load order (earlier repos first; in a repo, root definitions before the jetstream overlay). */
  private readonly entries: readonly RepoFile[];
  /** The shared files (all but experiment configs), parsed, in load order. */
  private readonly shared: ConfigFile[];

  constructor(
    readonly repos: RepoSnapshot[],
    files: readonly RepoFile[],
  ) {
    this.commit = joinCommits(repos.map((r) => r.commit));
    this.entries = files;
    this.shared = this.entries.filter((f) => f.kind !== 'experiment').map((f) => f.parsed());
  }

  /** Every file, parsed (experiment configs are parsed here, when first asked for), in load order. */
  get files(): ConfigFile[] {
    return this.entries.map((f) => f.parsed());
  }

  /** The experiment's own config files (`jetstream/<slug>.toml`), one per repo that has it. */
  experimentFiles(slug: string): ConfigFile[] {
    return this.entries.filter((f) => f.kind === 'experiment' && f.slug === slug).map((f) => f.parsed());
  }

  /** Slugs of every experiment config in the collection. */
  experimentSlugs(): string[] {
    return [...new Set(this.entries.filter((f) => f.kind === 'experiment').map((f) => f.slug))];
  }

  defaultsFiles(platform: string): ConfigFile[] {
    return this.shared.filter((f) => f.kind === 'default' && f.slug === platform);
  }

  definitionFiles(platform: string): ConfigFile[] {
    return this.shared.filter((f) => f.kind === 'definition' && f.slug === platform);
  }

  /**
   * The shared files every analysis on the platform reads, whatever its config references: its
   * definitions, the functions and its defaults, in the order resolution takes them. One with
   * errors fails every analysis on the platform.
   */
  platformFiles(platform: string): ConfigFile[] {
    return [...this.definitionFiles(platform), ...this.functionFiles(), ...this.defaultsFiles(platform)];
  }

  functionFiles(): ConfigFile[] {
    return this.shared.filter((f) => f.kind === 'functions');
  }

  /** The outcome for a platform; a later repo's file replaces an earlier one's. */
  outcome(platform: string, slug: string): ConfigFile | null {
    return (
      this.shared.findLast((f) => f.kind === 'outcome' && f.platform === platform && f.slug === slug) ?? null
    );
  }

  outcomeSlugs(platform: string): string[] {
    return [
      ...new Set(
        this.shared.filter((f) => f.kind === 'outcome' && f.platform === platform).map((f) => f.slug),
      ),
    ];
  }

  /**
   * Shared files (definitions, defaults, outcomes, functions) with errors. They do not stop the
   * collection from loading: an experiment that uses one fails with its errors when resolved,
   * and every other experiment is analysed as usual.
   */
  brokenFiles(): ConfigFile[] {
    return this.shared.filter((f) => f.errors.length > 0 || f.parameterErrors.length > 0);
  }

  /** Platforms with definitions (`definitions/<platform>.toml`). */
  platforms(): string[] {
    return [...new Set(this.shared.filter((f) => f.kind === 'definition').map((f) => f.slug))];
  }

  /** Shared definitions for a platform with the jetstream overlay folded in; computed once. */
  platformDefinitions(platform: string): SpecLayer {
    let layer = this.platformCache.get(platform);
    if (!layer) {
      layer = emptyLayer();
      for (const file of this.definitionFiles(platform)) mergeSharedDefinitions(layer, file);
      this.platformCache.set(platform, layer);
    }
    return layer;
  }

  /** Platform defaults folded into one layer (a fresh copy each call: callers merge into it). */
  defaultsLayer(platform: string): SpecLayer {
    const layer = emptyLayer();
    for (const file of this.defaultsFiles(platform)) mergeFile(layer, file);
    return layer;
  }

  /** The template renderer with every function from `functions.toml` (later files win). */
  renderer(): TemplateRenderer {
    if (!this.rendererCache) {
      const functions = new Map<string, string>();
      for (const file of this.functionFiles())
        for (const [name, fn] of file.functions) functions.set(name, fn.def.definition);
      this.rendererCache = new TemplateRenderer(functions);
    }
    return this.rendererCache;
  }
}

export interface LoadOptions {
  /** Local directories or git repositories, later ones overriding earlier ones. */
  repos: string[];
  /**
   * Read each git repo as of this time: the newest commit at or before it, broken files and
   * all (see ConfigCollection.brokenFiles). Plain directories ignore it.
   */
  asOf?: Date | string;
  /**
   * Read the repos at this collection commit (a ConfigCollection's `commit`, as a pin records
   * it): each git repo at its part. Takes precedence over `asOf`.
   */
  commit?: string | null;
}

/** Loads and parses every config file of the repos (see ConfigCollection). */
export async function loadConfigCollection(options: LoadOptions): Promise<ConfigCollection> {
  if (options.repos.length === 0)
    throw new ConfigError([
      { file: '(config repos)', line: null, keyPath: '', message: 'no config repos given' },
    ]);
  const asOf = options.asOf === undefined ? null : toDate(options.asOf);
  const commits = options.commit ? await commitsOfCollection(options.repos, options.commit) : null;
  const snapshots: RepoSnapshot[] = [];
  const files: RepoFile[] = [];
  for (const [index, repo] of options.repos.entries()) {
    const commit = commits?.[index] ?? null;
    const loaded = await readConfigRepo(repo, commit ? { commit } : asOf ? { asOf } : null);
    snapshots.push(loaded.snapshot);
    files.push(...loaded.files);
  }
  return new ConfigCollection(snapshots, files);
}

function toDate(value: Date | string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new ConfigError([
      {
        file: '(asOf)',
        line: null,
        keyPath: '',
        message: `not a date or time: ${String(value)} (use ISO 8601, e.g. 2024-05-01T00:00:00Z)`,
      },
    ]);
  }
  return date;
}

/** contrail's package root (two levels above this module, in src/ and in a build alike). */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The config repos a command reads, and where that choice came from (for the line that says so). */
export interface ConfigRepoChoice {
  repos: string[];
  /** `--config_repos`, `CONTRAIL_CONFIG_REPOS`, the metric-hub checkout holding the files, or contrail's demo repo. */
  source: 'option' | 'environment' | 'checkout' | 'demo';
}

/**
 * The config repos to use, the rule every command follows: the repos given (`--config_repos`);
 * else `CONTRAIL_CONFIG_REPOS` (comma-separated); else, for a command that reads config files
 * (validate's), the metric-hub checkout they are in, so that an author checking a file in their
 * checkout checks it against that checkout's definitions; else the demo config repo that ships
 * with contrail (`src/sample/metric-hub`). Files in two different checkouts are refused: either
 * checkout would be wrong for the other's files.
 */
export function chooseConfigRepos(
  options: { given?: readonly string[] | undefined; files?: readonly string[]; env?: NodeJS.ProcessEnv } = {},
): ConfigRepoChoice {
  if (options.given && options.given.length > 0) return { repos: [...options.given], source: 'option' };
  const configured = (options.env ?? process.env).CONTRAIL_CONFIG_REPOS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (configured && configured.length > 0) return { repos: configured, source: 'environment' };
  const checkouts = new Map<string, string>();
  for (const file of options.files ?? []) {
    const checkout = metricHubCheckoutOf(file);
    // Named as the file is: relative to the working directory when the file is.
    if (checkout !== null && !checkouts.has(checkout))
      checkouts.set(checkout, isAbsolute(file) ? checkout : relative(process.cwd(), checkout) || '.');
  }
  if (checkouts.size > 1) {
    throw new ConfigError([
      {
        file: '(config repos)',
        line: null,
        keyPath: '',
        message: `the files are in ${checkouts.size} metric-hub checkouts (${[...checkouts.values()].join(', ')}): give the one to check them against with --config_repos`,
      },
    ]);
  }
  const [checkout] = checkouts.values();
  if (checkout !== undefined) return { repos: [checkout], source: 'checkout' };
  return { repos: [join(PACKAGE_ROOT, 'src', 'sample', 'metric-hub')], source: 'demo' };
}

/** The config repos of a command that reads no config file of its own: see chooseConfigRepos. */
export function defaultConfigRepos(env: NodeJS.ProcessEnv = process.env): string[] {
  return chooseConfigRepos({ env }).repos;
}

/**
 * The metric-hub checkout `path` (a file or directory) is in: the nearest directory at or above
 * it laid out as metric-hub is, with `definitions/` beside `jetstream/`. Null when there is none.
 */
export function metricHubCheckoutOf(path: string): string | null {
  const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
  let dir = resolve(path);
  if (!isDir(dir)) dir = dirname(dir);
  for (;;) {
    if (isDir(join(dir, 'definitions')) && isDir(join(dir, 'jetstream'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
