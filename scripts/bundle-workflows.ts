/** Writes dist/workflow-bundle.js: installed packages and the image's workers load it instead of bundling at start. */
import { writePackagedBundle } from '../src/workflow-source.js';

const { file, bytes, reused } = await writePackagedBundle();
process.stdout.write(`${reused ? 'kept' : 'wrote'} ${file} (${(bytes / 1024).toFixed(0)} KiB)\n`);
