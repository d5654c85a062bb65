import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfigFile, parseConfigText } from '../../../src/config/parse.js';

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

describe('a config file that is not UTF-8', () => {
  it('is refused at each line holding a byte of another encoding, not read with U+FFFD in its strings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contrail-latin1-'));
    try {
      const file = join(dir, 'cafe-test.toml');
      // A file saved as Latin-1: é is the single byte 0xE9, which is no UTF-8.
      const text =
        '[experiment]\n\n[experiment.exposure_signal]\nname = "saw"\ndescription = "Saw it"\ndata_source = "events"\n' +
        'select_expression = "experiment = \'caf\u00e9-test\'"\nfriendly_name = "Caf\u00e9"\n';
      writeFileSync(file, Buffer.from(text, 'latin1'));
      const { errors } = parseConfigFile(file);
      assert.deepEqual(
        errors.map((e) => `${e.file}:${e.line}: ${e.message}`),
        [7, 8].map(
          (line) =>
            `${file}:${line}: not UTF-8 text: column ${line === 7 ? 39 : 21} holds a byte of another encoding (such as Latin-1 or Windows-1252), read as U+FFFD; TOML files are UTF-8: save the file as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8)`,
        ),
      );
      // The same text saved as UTF-8 is read as written.
      writeFileSync(file, text, 'utf8');
      assert.deepEqual(parseConfigFile(file).errors, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
