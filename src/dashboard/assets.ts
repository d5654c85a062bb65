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

/**
 * Bundles the page script (TypeScript) with Observable Plot and its d3 modules from
 * node_modules, once per server. esbuild runs in-process in a few hundred milliseconds, so a
 * checkout, an installed package and the built image all serve the same page without a
 * separate build step or a stale bundle.
 */
export async function buildPageAssets(): Promise<PageAssets> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [fileURLToPath(new URL('main.ts', pageDir))],
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
  const [html, css] = await Promise.all([
    readFile(new URL('index.html', pageDir), 'utf8'),
    readFile(new URL('style.css', pageDir), 'utf8'),
  ]);
  return { html, css, script };
}
