/**
 * A node:test reporter that writes a test process's totals as JSON (tests, suites, pass, fail,
 * cancelled, skipped, todo, duration_ms), from the summary node's runner emits at the end;
 * scripts/run-tests.ts adds them up over every file. For a batch of files (scripts/test-batch.ts,
 * one top-level suite per file, named by its path) it adds `files`: each file's duration and
 * whether it passed. Plain JavaScript: node loads reporters before any loader hook, so tsx
 * cannot compile it.
 *
 * @param {AsyncIterable<{ type: string, data: { nesting?: number, message?: string, name?: string, details?: { duration_ms?: number } } }>} source
 */
export default async function* counts(source) {
  /** @type {Record<string, unknown>} */
  const totals = {};
  /** @type {Record<string, { ms: number, passed: boolean }>} */
  const files = {};
  for await (const event of source) {
    const { data } = event;
    if ((event.type === 'test:pass' || event.type === 'test:fail') && data.nesting === 0) {
      if (data.name?.endsWith('.test.ts'))
        files[data.name] = { ms: data.details?.duration_ms ?? 0, passed: event.type === 'test:pass' };
      continue;
    }
    if (event.type !== 'test:diagnostic' || data.nesting !== 0) continue;
    const match = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) (\d+(?:\.\d+)?)$/.exec(
      data.message ?? '',
    );
    if (match) totals[match[1]] = Number(match[2]);
  }
  if (Object.keys(files).length > 0) totals.files = files;
  yield `${JSON.stringify(totals)}\n`;
}
