import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText } from '../../../src/config/parse.js';

/** The one problem a broken file gives: where, and what it says. */
function problem(toml: string): string {
  const { errors } = parseConfigText('case.toml', toml, 'experiment', 'case', null);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  return `${errors[0]!.line}: ${errors[0]!.message}`;
}

describe('TOML syntax errors say what the parser found and, for common mistakes, what to write', () => {
  it('an unclosed table header, which the parser calls an illegal character in a key', () => {
    assert.equal(
      problem('[experiment\nstart_date = "2024-01-01"\n'),
      '1: TOML syntax error: illegal character in key; the table header is not closed: write [experiment]',
    );
    assert.equal(
      problem('[experiment]\n[metrics.a.statistics\nbootstrap_mean = {}\n'),
      '2: TOML syntax error: illegal character in key; the table header is not closed: write [metrics.a.statistics]',
    );
  });

  it('a string with a quote at one end only', () => {
    assert.equal(
      problem('[experiment]\nstart_date = "2024-01-01\nend_date = "2024-02-01"\n'),
      '2: TOML syntax error: control characters are not allowed in strings; a string on this line has a " at one end only: quote both ends on the same line (""" … """ for text over several lines)',
    );
    assert.match(
      problem("[experiment]\nstart_date = 2024-01-01'\n"),
      /^2: .*; a string on this line has a ' at one end only/,
    );
  });

  it('a key or table defined twice names the line of the first', () => {
    assert.equal(
      problem(
        '[experiment]\nstart_date = "2024-01-01"\nend_date = "2024-02-01"\nstart_date = "2024-01-02"\n',
      ),
      "4: TOML syntax error: trying to redefine an already defined table or value; 'start_date' is already set on line 2 of this table: keep one of them",
    );
    assert.equal(
      problem('[metrics.a]\nselect_expression = "1"\n\n[metrics.a]\ndata_source = "main"\n'),
      '4: TOML syntax error: trying to redefine an already defined table or value; table [metrics.a] is already defined on line 1: merge the two or rename one',
    );
  });

  it("other mistakes keep the parser's words alone", () => {
    assert.equal(
      problem('[experiment]\nstart_date = "a" "b"\n'),
      '2: TOML syntax error: each key-value declaration must be followed by an end-of-line',
    );
  });
});
