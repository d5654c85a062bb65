import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import { emptyLayer, mergeDefinitions, mergeFile, type SpecLayer } from './merge.js';
import { type ConfigFile, kindOfPath, parseConfigText } from './parse.js';
import { ConfigError } from './problems.js';
import { TemplateRenderer } from './templates.js';

/**
 * Config collections: every metric-hub file of one or more config repos, parsed once,
 * with the lookups resolution needs (platform defaults, merged platform definitions,
 * outcomes, functions). Repos are read in order and later ones win (public, then private).
 *
 * A repo is either a metric-hub checkout (`definitions/` beside `jetstream/`) or a
 * jetstream-style directory (`*.toml` experiment configs, `defaults/`, `definitions/`,
 * `outcomes/<platform>/`).
 */
export interface RepoSnapshot {
  /** The repo as given. */
  path: string;
  /** Commit read, or null for a plain directory. */
  commit: string | null;
}

export class ConfigCollection {
  /** Commit hash(es) the files were read at, `+`-joined over repos; null when no repo is git. */
  readonly commit: string | null;
  private readonly platformCache = new Map<string, SpecLayer>();
  private rendererCache: TemplateRenderer | null = null;

  constructor(
    readonly repos: RepoSnapshot[],
    /** Every file, in load order (earlier repos first; in a repo, root definitions before the jetstream overlay). */
    readonly files: ConfigFile[],
  ) {
    const commits = repos.map((r) => r.commit).filter((c): c is string => c !== null);
    this.commit = commits.length > 0 ? commits.join('+') : null;
  }

  /** The experiment's own config files (`jetstream/<slug>.toml`), one per repo that has it. */
  experimentFiles(slug: string): ConfigFile[] {
    return this.files.filter((f) => f.kind === 'experiment' && f.slug === slug);
  }

  /** Slugs of every experiment config in the collection. */
  experimentSlugs(): string[] {
    return [...new Set(this.files.filter((f) => f.kind === 'experiment').map((f) => f.slug))];
  }

  defaultsFiles(platform: string): ConfigFile[] {
    return this.files.filter((f) => f.kind === 'default' && f.slug === platform);
  }

  definitionFiles(platform: string): ConfigFile[] {
    return this.files.filter((f) => f.kind === 'definition' && f.slug === platform);
  }

  functionFiles(): ConfigFile[] {
    return this.files.filter((f) => f.kind === 'functions');
  }

  /** The outcome for a platform; a later repo's file replaces an earlier one's. */
  outcome(platform: string, slug: string): ConfigFile | null {
    return (
      this.files.findLast((f) => f.kind === 'outcome' && f.platform === platform && f.slug === slug) ?? null
    );
  }

  outcomeSlugs(platform: string): string[] {
    return [
      ...new Set(
        this.files.filter((f) => f.kind === 'outcome' && f.platform === platform).map((f) => f.slug),
      ),
    ];
  }

  /**
   * Shared files (definitions, defaults, outcomes, functions) with errors. They do not stop the
   * collection from loading: an experiment that uses one fails with its errors when resolved,
   * and every other experiment is analysed as usual.
   */
  brokenFiles(): ConfigFile[] {
    return this.files.filter((f) => f.kind !== 'experiment' && f.errors.length > 0);
  }

  /** Platforms with definitions (`definitions/<platform>.toml`). */
  platforms(): string[] {
    return [...new Set(this.files.filter((f) => f.kind === 'definition').map((f) => f.slug))];
  }

  /** Shared definitions for a platform with the jetstream overlay folded in; computed once. */
  platformDefinitions(platform: string): SpecLayer {
    let layer = this.platformCache.get(platform);
    if (!layer) {
      layer = emptyLayer();
      for (const file of this.definitionFiles(platform)) {
        mergeDefinitions(layer.metrics, file.metrics);
        mergeDefinitions(layer.dataSources, file.dataSources);
        for (const [name, entry] of file.segments) layer.segments.set(name, entry);
        for (const [name, entry] of file.segmentDataSources) layer.segmentDataSources.set(name, entry);
      }
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
}

/** Loads and parses every config file of the repos (see ConfigCollection). */
export async function loadConfigCollection(options: LoadOptions): Promise<ConfigCollection> {
  if (options.repos.length === 0)
    throw new ConfigError([
      { file: '(config repos)', line: null, keyPath: '', message: 'no config repos given' },
    ]);
  const asOf = options.asOf === undefined ? null : toDate(options.asOf);
  const snapshots: RepoSnapshot[] = [];
  const files: ConfigFile[] = [];
  for (const repo of options.repos) {
    const loaded = asOf ? await loadRepoAsOf(repo, asOf) : await loadRepoHead(repo);
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

async function isGitRepo(path: string): Promise<boolean> {
  if (!existsSync(join(path, '.git'))) return false;
  return simpleGit(path).checkIsRepo();
}

async function loadRepoHead(repo: string): Promise<{ snapshot: RepoSnapshot; files: ConfigFile[] }> {
  if (!existsSync(repo) || !statSync(repo).isDirectory()) {
    throw new ConfigError([
      {
        file: repo,
        line: null,
        keyPath: '',
        message: 'config repo not found: expected a directory or a git repository',
      },
    ]);
  }
  const commit = (await isGitRepo(repo)) ? (await simpleGit(repo).revparse(['HEAD'])).trim() : null;
  return { snapshot: { path: repo, commit }, files: readRepoFiles(repo, repo) };
}

async function loadRepoAsOf(
  repo: string,
  asOf: Date,
): Promise<{ snapshot: RepoSnapshot; files: ConfigFile[] }> {
  if (!(await isGitRepo(repo))) return loadRepoHead(repo);
  const log = await simpleGit(repo).raw(['log', '--format=%H %cI', 'HEAD']);
  const commits = log
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [hash, time] = line.split(' ') as [string, string];
      return { hash, time: new Date(time) };
    }); // newest first
  const atOrBefore = commits.find((c) => c.time.getTime() <= asOf.getTime());
  // With no commit that old, start from the oldest one (as jetstream does).
  const chosen = atOrBefore ?? commits.at(-1);
  if (!chosen)
    throw new ConfigError([
      { file: repo, line: null, keyPath: '', message: 'the repository has no commits' },
    ]);
  const clone = mkdtempSync(join(tmpdir(), 'contrail-config-'));
  try {
    await simpleGit().clone(repo, clone, ['--quiet', '--no-checkout', '--shared']);
    await simpleGit(clone).raw(['checkout', '--quiet', '--force', chosen.hash]);
    return { snapshot: { path: repo, commit: chosen.hash }, files: readRepoFiles(clone, repo) };
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
}

/** Every config file of a repo checkout at `dir`, named in messages relative to `displayRoot`. */
function readRepoFiles(dir: string, displayRoot: string): ConfigFile[] {
  const out: ConfigFile[] = [];
  const isMetricHub = existsSync(join(dir, 'jetstream')) && statSync(join(dir, 'jetstream')).isDirectory();
  const jetstreamDir = isMetricHub ? join(dir, 'jetstream') : dir;
  const read = (absolute: string, kindPath: string) => {
    const display = join(displayRoot, relative(dir, absolute));
    const { kind, slug, platform } = kindOfPath(kindPath);
    out.push(parseCached(display, readFileSync(absolute, 'utf8'), kind, slug, platform));
  };
  if (isMetricHub)
    for (const name of tomlFiles(join(dir, 'definitions')))
      read(join(dir, 'definitions', name), `definitions/${name}`);
  for (const name of tomlFiles(join(jetstreamDir, 'definitions')))
    read(join(jetstreamDir, 'definitions', name), `definitions/${name}`);
  for (const name of tomlFiles(join(jetstreamDir, 'defaults')))
    read(join(jetstreamDir, 'defaults', name), `defaults/${name}`);
  const outcomesDir = join(jetstreamDir, 'outcomes');
  if (existsSync(outcomesDir)) {
    for (const platform of readdirSync(outcomesDir).sort()) {
      const platformDir = join(outcomesDir, platform);
      if (!statSync(platformDir).isDirectory()) continue;
      for (const name of tomlFiles(platformDir))
        read(join(platformDir, name), `outcomes/${platform}/${name}`);
    }
  }
  for (const name of tomlFiles(jetstreamDir)) read(join(jetstreamDir, name), name);
  return out;
}

function tomlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.toml') && statSync(join(dir, n)).isFile())
    .sort();
}

/**
 * Parsed files by content: the same file read again (another asOf, another repo order, the
 * benchmark's repeated loads) is not parsed again. Parsed files are never mutated. Bounded,
 * least recently used first out: a long-running worker reading many commits of a repo keeps
 * about as many files as a few snapshots of metric-hub hold.
 */
export const PARSE_CACHE_LIMIT = 4096;
const parseCache = new Map<string, ConfigFile>();

/** How many parsed files the cache holds (never more than PARSE_CACHE_LIMIT). */
export function parsedFilesCached(): number {
  return parseCache.size;
}

function parseCached(
  file: string,
  source: string,
  kind: ConfigFile['kind'],
  slug: string,
  platform: string | null,
): ConfigFile {
  const key = createHash('sha1').update(`${file}\0${kind}\0${platform}\0`).update(source).digest('hex');
  let parsed = parseCache.get(key);
  if (parsed) {
    // Re-inserted so that Map order is least recently used first.
    parseCache.delete(key);
  } else {
    parsed = parseConfigText(file, source, kind, slug, platform);
    while (parseCache.size >= PARSE_CACHE_LIMIT) parseCache.delete(parseCache.keys().next().value as string);
  }
  parseCache.set(key, parsed);
  return parsed;
}

/** Parses a single file by its path (validate, custom configs). */
export function parseConfigFile(path: string, source = readFileSync(path, 'utf8')): ConfigFile {
  const { kind, slug, platform } = kindOfPath(path);
  return parseConfigText(path, source, kind, slug, platform);
}

/** contrail's package root (two levels above this module, in src/ and in a build alike). */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The config repos to use: `CONTRAIL_CONFIG_REPOS` (comma-separated) when set, otherwise the
 * demo config repo that ships with contrail (`src/sample/metric-hub`).
 */
export function defaultConfigRepos(env: NodeJS.ProcessEnv = process.env): string[] {
  const configured = env.CONTRAIL_CONFIG_REPOS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (configured && configured.length > 0) return configured;
  return [join(PACKAGE_ROOT, 'src', 'sample', 'metric-hub')];
}
