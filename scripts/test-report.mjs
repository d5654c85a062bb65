/**
 * A node:test reporter that writes a test file's totals as JSON (tests, suites, pass, fail,
 * cancelled, skipped, todo, duration_ms), from the summary node's runner emits at the end;
 * scripts/run-tests.ts adds them up over every file. Plain JavaScript: node loads reporters
 * before any loader hook, so tsx cannot compile it.
 *
 * @param {AsyncIterable<{ type: string, data: { nesting?: number, message?: string } }>} source
 */
export default async function* counts(source) {
  /** @type {Record<string, number>} */
  const totals = {};
  for await (const event of source) {
    if (event.type !== 'test:diagnostic' || event.data.nesting !== 0) continue;
    const match = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) (\d+(?:\.\d+)?)$/.exec(
      event.data.message ?? '',
    );
    if (match) totals[match[1]] = Number(match[2]);
  }
  yield `${JSON.stringify(totals)}\n`;
}
