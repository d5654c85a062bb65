/**
 * Where a text file's text is not UTF-8. Config files (TOML) and experiments files (JSON) are
 * UTF-8, and contrail reads them so, turning each byte of another encoding (an é saved as
 * Latin-1 or Windows-1252) into U+FFFD. Read on, a string holding one would silently differ
 * from the author's: an exposure signal's `experiment = 'café-test'` matching no row, a
 * friendly name shown as `caf�`. jetstream's Python refuses such a file; so does contrail,
 * before what the file says is read. `format` names the file's format in the message (`TOML`).
 * One entry per line holding such a byte, in order; a file in UTF-16 (what Windows tools call
 * "Unicode") is one entry, as converting it from Latin-1 would not mend it.
 */
export function notUtf8Lines(source: string, format: string): { line: number; message: string }[] {
  // Every config is read through here: text with neither mark of another encoding is let go at once.
  if (!source.includes('\uFFFD') && !source.includes('\0')) return [];
  if (isUtf16(source)) {
    // Without the byte order mark, iconv must be told the byte order: where the NULs fall says it.
    const [why, from] = source.startsWith(UTF16_BOM)
      ? ['its first two bytes are a UTF-16 byte order mark', 'utf-16']
      : ['a NUL byte comes with each of its letters', /^[^\0]\0/.test(source) ? 'utf-16le' : 'utf-16be'];
    return [
      {
        line: 1,
        message: `not UTF-8 text: the file is UTF-16 (${why}); ${format} files are UTF-8: save the file as UTF-8 (iconv -f ${from} -t utf-8)`,
      },
    ];
  }
  return source.split(/\r?\n/).flatMap((text, index) => {
    const column = text.indexOf('\uFFFD');
    if (column === -1) return [];
    return [
      {
        line: index + 1,
        message: `not UTF-8 text: column ${column + 1} holds a byte of another encoding (such as Latin-1 or Windows-1252), read as U+FFFD; ${format} files are UTF-8: save the file as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8)`,
      },
    ];
  });
}

/** A UTF-16 byte order mark (FF FE or FE FF) read as UTF-8: two bytes no UTF-8 text begins with. */
const UTF16_BOM = '\uFFFD\uFFFD';

/**
 * Whether UTF-8 text read from a file is UTF-16: it begins with the byte order mark, or its ASCII
 * characters come with a NUL byte each (UTF-16 without one), which no config or JSON file holds.
 */
function isUtf16(source: string): boolean {
  return source.startsWith(UTF16_BOM) || /[\t\n\r\x20-\x7e]\0[\t\n\r\x20-\x7e]\0/.test(source);
}
