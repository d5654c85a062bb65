/** Writes dist/dashboard/page/: the dashboard's page, style and bundled script for the compiled image. */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundlePageScript, PREBUILT_SCRIPT } from '../src/dashboard/assets.js';

const source = new URL('../src/dashboard/page/', import.meta.url);
const out = new URL('../dist/dashboard/page/', import.meta.url);
mkdirSync(out, { recursive: true });
for (const file of ['index.html', 'style.css']) copyFileSync(new URL(file, source), new URL(file, out));
const script = await bundlePageScript(fileURLToPath(new URL('main.ts', source)));
writeFileSync(new URL(PREBUILT_SCRIPT, out), script);
process.stdout.write(`wrote ${fileURLToPath(out)} (script ${(script.length / 1024).toFixed(0)} KiB)\n`);
