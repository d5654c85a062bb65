/**
 * Completes package-lock.json with the per-platform optional packages that this machine's
 * registry mirror does not serve (DuckDB, Biome and SWC ship one package per OS and CPU).
 * `npm install` leaves out what it cannot fetch, and `npm ci` then refuses the lock as "not in
 * sync" on every machine, including the Docker build. The entries added here carry the
 * version, OS, CPU and libc of the platform, so npm skips them on other platforms and fetches
 * them from the registry on their own platform.
 *
 *   npm run complete-lock     (after any `npm install` that changed the lock)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

export interface Lockfile {
  packages: Record<string, LockEntry>;
  [key: string]: unknown;
}

const OSES = ['android', 'darwin', 'freebsd', 'linux', 'win32'];
const CPUS = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x'];

/** OS, CPU and libc of a platform package, read from its name (`cli-linux-arm64-musl`). */
export function platformOf(name: string): Pick<LockEntry, 'os' | 'cpu' | 'libc'> {
  const parts = name.split('/').pop()?.split('-') ?? [];
  const os = OSES.find((o) => parts.includes(o));
  const cpu = CPUS.find((c) => parts.includes(c));
  if (!os || !cpu) throw new Error(`cannot tell the platform of optional package ${name}`);
  return {
    os: [os],
    cpu: [cpu],
    ...(os === 'linux' ? { libc: [parts.includes('musl') ? 'musl' : 'glibc'] } : {}),
  };
}

/** Optional dependencies that the lock lists under a package but has no entry for. */
export function missingOptionalEntries(lock: Lockfile): { parent: string; name: string; version: string }[] {
  const missing: { parent: string; name: string; version: string }[] = [];
  for (const [parent, entry] of Object.entries(lock.packages)) {
    for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
      if (!(`node_modules/${name}` in lock.packages)) missing.push({ parent, name, version });
    }
  }
  return missing;
}

/** The lock with an entry for every missing optional platform package, placed after its parent. */
export function completeLock(lock: Lockfile): { lock: Lockfile; added: string[] } {
  const keys = Object.keys(lock.packages);
  const packages: Record<string, LockEntry> = { ...lock.packages };
  const added: string[] = [];
  for (const { parent, name, version } of missingOptionalEntries(lock)) {
    const key = `node_modules/${name}`;
    packages[key] = {
      version,
      ...platformOf(name),
      ...(lock.packages[parent]?.dev ? { dev: true } : {}),
      optional: true,
    };
    keys.splice(keys.indexOf(parent) + 1, 0, key);
    added.push(name);
  }
  return {
    lock: { ...lock, packages: Object.fromEntries(keys.map((k) => [k, packages[k] as LockEntry])) },
    added,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = fileURLToPath(new URL('../package-lock.json', import.meta.url));
  const { lock, added } = completeLock(JSON.parse(readFileSync(path, 'utf8')) as Lockfile);
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(
    added.length ? `added ${added.length} platform entries: ${added.join(', ')}` : 'lock already complete',
  );
}
