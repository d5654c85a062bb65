import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The page's static files, served from memory. */
export interface PageAssets {
  html: string;
  css: string;
  /** The page script with the charting library bundled in: the page loads nothing from elsewhere. */
  script: string;
}

const pageDir = new URL('./page/', import.meta.url);
/** The bundled script `npm run build` leaves beside the compiled server (dist/dashboard/page/). */
export const PREBUILT_SCRIPT = 'dashboard.js';

/**
 * The page's files. From source (a checkout or an installed package) the page script is
 * bundled with Observable Plot and its d3 modules from node_modules, once per server: esbuild
 * runs in-process in a few hundred milliseconds, so there is no separate build step and no
 * stale bundle. The compiled image, which has no TypeScript sources, serves the bundle
 * `npm run build` wrote.
 */
export async function buildPageAssets(): Promise<PageAssets> {
  const [html, css] = await Promise.all([
    readFile(new URL('index.html', pageDir), 'utf8'),
    readFile(new URL('style.css', pageDir), 'utf8'),
  ]);
  const source = new URL('main.ts', pageDir);
  if (!existsSync(source)) {
    return { html, css, script: await readFile(new URL(PREBUILT_SCRIPT, pageDir), 'utf8') };
  }
  return { html, css, script: await bundlePageScript(fileURLToPath(source)) };
}

/** The page script and the charting library in one minified ES module. */
export async function bundlePageScript(entry: string): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: false,
    write: false,
    legalComments: 'inline',
    logLevel: 'silent',
  });
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error('esbuild produced no page script');
  return script;
}
