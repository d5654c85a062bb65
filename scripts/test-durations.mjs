/**
 * A node:test reporter that writes how long each test file's tests took (ms, JSON), so that
 * scripts/run-tests.ts starts the slowest files first next time: with files run in parallel,
 * a slow file started last decides the run's wall time. Plain JavaScript: node loads
 * reporters before any loader hook, so tsx cannot compile it.
 *
 * @param {AsyncIterable<{ type: string, data: { nesting?: number, file?: string, details?: { duration_ms?: number } } }>} source
 */
export default async function* durations(source) {
  /** @type {Record<string, number>} */
  const byFile = {};
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, file, details } = event.data;
    if (nesting !== 0 || !file) continue;
    byFile[file] = (byFile[file] ?? 0) + (details?.duration_ms ?? 0);
  }
  yield `${JSON.stringify(byFile)}\n`;
}
