import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// What makes a directory a config repo, on its own (the parser checks `--config_repos` with it,
// so it loads nothing but node's file functions). repo-files.ts reads the files of such a repo.

/** The folders a config repo's files are in, either layout (see CONFIG_REPO_LAYOUT). */
const CONFIG_FOLDERS = ['definitions', 'jetstream', 'defaults', 'outcomes'] as const;

/** What a config repo holds, said where a directory is refused as one. */
export const CONFIG_REPO_LAYOUT =
  'a config repo is a metric-hub checkout (definitions/<platform>.toml beside jetstream/<experiment>.toml) or a jetstream-style directory (<experiment>.toml configs with definitions/, defaults/ and outcomes/<platform>/)';

/** What a config repo is named by, said where a name is refused as one. */
const CONFIG_REPO_PATH =
  'a config repo is named by the path of a local directory: a git checkout (its history gives config versions) or a plain directory of configs';

/**
 * Why `path`, a URL (`file:///…`, `https://…`, `git@host:…`), names no config repo: repos are
 * read from local directories only (a remote one would be cloned, and pinned, by whoever runs
 * contrail); null for anything else. A `file://` URL says the directory it meant.
 */
export function urlNotPath(path: string): string | null {
  const file = /^file:\/\/(\/.*)$/i.exec(path);
  if (file)
    return `a URL, not a path (${CONFIG_REPO_PATH}): name the directory itself, ${decodeURI(file[1] ?? '')}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path) || /^[\w.-]+@[\w.-]+:/.test(path))
    return `a URL, not a path (${CONFIG_REPO_PATH}): clone the repo and name its checkout`;
  return null;
}

/**
 * Why `path` is no config repo, or null when it is one: a directory holding one of the folders a
 * config repo's files are in, or experiment configs (`*.toml`) of its own, as a jetstream-style
 * repo of a team's experiment configs laid over metric-hub's holds. Any other directory (a
 * checkout's parent, a mistyped path's neighbour) holds no config: read as a repo, it defined no
 * platform, and an analysis failed on `no definitions for platform 'firefox_desktop'` naming none.
 */
export function notConfigRepo(path: string): string | null {
  const url = urlNotPath(path);
  if (url !== null) return url;
  let entries: string[];
  try {
    if (!statSync(path).isDirectory()) return `not a directory (${CONFIG_REPO_LAYOUT})`;
    entries = readdirSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `no such directory (${CONFIG_REPO_LAYOUT})`;
    return `cannot be read (${(error as Error).message})`;
  }
  const isDirectory = (name: string) => statSync(join(path, name), { throwIfNoEntry: false })?.isDirectory();
  if (CONFIG_FOLDERS.some((folder) => entries.includes(folder) && isDirectory(folder))) return null;
  const isFile = (name: string) => statSync(join(path, name), { throwIfNoEntry: false })?.isFile();
  if (entries.some((name) => name.endsWith('.toml') && isFile(name))) return null;
  return `not a config repo: it has none of ${CONFIG_FOLDERS.map((f) => `${f}/`).join(', ')} and no .toml file (${CONFIG_REPO_LAYOUT})`;
}

/**
 * A config file as its config repo names it, whatever directory the repo was read from:
 * `jetstream/my-exp.toml`, `jetstream/defaults/firefox_desktop.toml`, `definitions/fenix.toml`,
 * `outcomes/fenix/networking.toml` (the folders of either layout, with metric-hub's `jetstream/`
 * kept: its `definitions/` are not the checkout's). A file outside that layout (a custom config)
 * by its name alone; a text that is no path (`(config repos)`) as it is. The same file of the
 * same repo gets the same name on every worker, whether its checkout is in a home directory or
 * a scratch clone made at start: what is logged about it, and exported, is then the same.
 */
export function configFileInRepo(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
  const n = parts.length;
  let depth = 1;
  if (parts[n - 3] === 'outcomes') depth = 3;
  else if (parts[n - 2] === 'definitions' || parts[n - 2] === 'defaults') depth = 2;
  if (parts[n - depth - 1] === 'jetstream') depth += 1;
  return parts.slice(Math.max(0, n - depth)).join('/') || path;
}
