/**
 * Why the file system refused to read or write a file, in words a user can act on ("no such
 * file", "no space left on its file system (ENOSPC)"), not the system's ("ENOENT: no such file or
 * directory, open 'x.toml'"), which repeats the path and says nothing of what to do; the callers
 * name the file and the remedy. `expected` is what the file should have been (`a config file`),
 * said of a directory given in its place.
 */
export function fileRefusal(error: unknown, expected = 'a file'): string {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'ENOTDIR':
      return 'no such file (a part of its path is a file, not a directory)';
    case 'EISDIR':
      return `a directory, not ${expected}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'ENOSPC':
      return 'no space left on its file system (ENOSPC)';
    case 'EDQUOT':
      return 'the disk quota is used up (EDQUOT)';
    case 'EROFS':
      return 'its file system is read-only (EROFS)';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
