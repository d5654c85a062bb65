/** See bundle-sources.mjs. */
export function cachedBundle(options: {
  root: string;
  name: string;
  dirs: string[];
  files: string[];
  entryPoints: string[];
}): Promise<string>;
