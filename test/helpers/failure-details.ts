/** Most of one failed process's account that the test runner repeats after its summary. */
export const DETAILS_CHARS = 8_000;

const SECTION = '✖ failing tests:';

/**
 * What failed in one test process, for the end of the run's output, where a log cut to its tail
 * still shows it: the failing tests with their errors (the section node's spec reporter ends its
 * report with), or the end of the process's own output when no test failed by itself (it crashed,
 * timed out or lingered).
 */
export function failureDetails(failed: {
  what: string;
  report: string;
  output: string;
  exit: string;
}): string {
  const section = failed.report.indexOf(SECTION);
  const text = (section >= 0 ? failed.report.slice(section + SECTION.length) : failed.output).trim();
  const shown = !text
    ? `(no output; ${failed.exit})`
    : section < 0 && text.length > DETAILS_CHARS
      ? `…\n${text.slice(-DETAILS_CHARS)}`
      : text.length > DETAILS_CHARS
        ? `${text.slice(0, DETAILS_CHARS)}\n…`
        : text;
  return `\n── failing in ${failed.what}:\n${shown}\n`;
}
