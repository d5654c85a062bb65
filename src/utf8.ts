/**
 * Where a text file's text is not UTF-8. Config files (TOML) and experiments files (JSON) are
 * UTF-8, and contrail reads them so, turning each byte of another encoding (an é saved as
 * Latin-1 or Windows-1252) into U+FFFD. Read on, a string holding one would silently differ
 * from the author's: an exposure signal's `experiment = 'café-test'` matching no row, a
 * friendly name shown as `caf�`. jetstream's Python refuses such a file; so does contrail,
 * before what the file says is read. `format` names the file's format in the message (`TOML`).
 * One entry per line holding such a byte, in order.
 */
export function notUtf8Lines(source: string, format: string): { line: number; message: string }[] {
  if (!source.includes('\uFFFD')) return [];
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
