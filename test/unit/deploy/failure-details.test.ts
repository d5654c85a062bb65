import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DETAILS_CHARS, failureDetails } from '../../helpers/failure-details.js';

// The shape of node's spec report of a file with one failing test inside a suite.
const report = `▶ contrail server
  ✔ fine (1.2ms)
  ✖ stops on Ctrl-C (5.1ms)
    AssertionError [ERR_ASSERTION]: exit 1
✖ contrail server (9.0ms)
ℹ tests 2
ℹ fail 1

✖ failing tests:

test at test/integration/server-command.test.ts:57:3
✖ stops on Ctrl-C (5.1ms)
  AssertionError [ERR_ASSERTION]: exit 1
`;

describe('what the test runner repeats of a failed process after its summary', () => {
  test("the failing tests and their errors, from the spec report's last section", () => {
    const details = failureDetails({ what: 'test/x.test.ts', report, output: 'noise', exit: 'exit 1' });
    assert.equal(
      details,
      '\n── failing in test/x.test.ts:\ntest at test/integration/server-command.test.ts:57:3\n✖ stops on Ctrl-C (5.1ms)\n  AssertionError [ERR_ASSERTION]: exit 1\n',
    );
  });

  test('a process that ran no test to the end: the end of its output, or how it ended', () => {
    const output = `${'x'.repeat(DETAILS_CHARS)}\nError: Cannot find module 'gone'`;
    const details = failureDetails({ what: 'test/y.test.ts', report: '', output, exit: 'exit 1' });
    assert.match(details, /^\n── failing in test\/y\.test\.ts:\n…\n/);
    assert.match(details, /Error: Cannot find module 'gone'\n$/);
    assert.ok(details.length < DETAILS_CHARS + 100);
    assert.equal(
      failureDetails({ what: 'test/z.test.ts', report: '', output: ' \n', exit: 'timed out' }),
      '\n── failing in test/z.test.ts:\n(no output; timed out)\n',
    );
  });

  test('a long failing section is cut after its start, which names the tests', () => {
    const long = `${report}${'y'.repeat(2 * DETAILS_CHARS)}`;
    const details = failureDetails({ what: 'w', report: long, output: '', exit: 'exit 1' });
    assert.match(details, /test at test\/integration\/server-command\.test\.ts:57:3/);
    assert.match(details, /\n…\n$/);
  });
});
