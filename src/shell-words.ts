/**
 * A value as one word of a POSIX shell command line, for the commands contrail prints for a
 * person to paste: as it is when nothing in it means anything to the shell, else single-quoted.
 */
export function shellWord(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
