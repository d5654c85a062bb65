/**
 * Where each key of a TOML document is written. TOML parsers return values without
 * positions, so errors could not name a line; this small scanner walks the source text
 * once (the text has already parsed, so it only needs to follow the syntax, not check it)
 * and records the 1-based line of every table header, key, array element and inline-table
 * key, by key path.
 */
export type KeyPath = readonly (string | number)[];

export interface KeyLines {
  /** Line of the key path, or of its nearest recorded ancestor; null if none is recorded. */
  lineOf(path: KeyPath): number | null;
}

const SEP = '\u001f';

export function locateKeys(source: string): KeyLines {
  const lines = new Map<string, number>();
  new Scanner(source, lines).document();
  return {
    lineOf(path: KeyPath): number | null {
      for (let n = path.length; n > 0; n--) {
        const line = lines.get(path.slice(0, n).join(SEP));
        if (line !== undefined) return line;
      }
      return null;
    },
  };
}

class Scanner {
  private pos = 0;
  private line = 1;
  private readonly arrayTableCounts = new Map<string, number>();

  constructor(
    private readonly src: string,
    private readonly lines: Map<string, number>,
  ) {}

  document(): void {
    let table: (string | number)[] = [];
    while (this.pos < this.src.length) {
      this.skipBlank(true);
      if (this.pos >= this.src.length) break;
      const start = this.pos;
      if (this.src.startsWith('[[', this.pos)) {
        this.pos += 2;
        const path = this.key(']');
        this.pos += 2;
        const id = path.join(SEP);
        const index = this.arrayTableCounts.get(id) ?? 0;
        this.arrayTableCounts.set(id, index + 1);
        table = [...path, index];
        this.record(path);
        this.record(table);
      } else if (this.src[this.pos] === '[') {
        this.pos += 1;
        table = this.key(']');
        this.pos += 1;
        this.record(table);
      } else {
        const path = [...table, ...this.key('=')];
        this.record(path);
        this.pos += 1; // '='
        this.value(path);
      }
      if (this.pos === start) this.pos += 1; // never stall on text this scanner does not follow
    }
  }

  /**
   * Records the path and every prefix not seen before: `[metrics.m.statistics.s]` is where
   * table `metrics.m` starts when it has no header of its own.
   */
  private record(path: KeyPath): void {
    for (let n = 1; n <= path.length; n++) {
      const id = path.slice(0, n).join(SEP);
      if (!this.lines.has(id)) this.lines.set(id, this.line);
    }
  }

  /** A dotted key, up to (not including) `end`. */
  private key(end: string): string[] {
    const parts: string[] = [];
    let bare = '';
    while (this.pos < this.src.length) {
      const c = this.src[this.pos] as string;
      if (c === end || c === '\n') break;
      if (c === '"' || c === "'") {
        parts.push(this.quoted(c));
        continue;
      }
      if (c === '.') {
        if (bare.trim()) parts.push(bare.trim());
        bare = '';
      } else {
        bare += c;
      }
      this.pos += 1;
    }
    if (bare.trim()) parts.push(bare.trim());
    return parts;
  }

  private quoted(quote: string): string {
    this.pos += 1;
    let out = '';
    while (this.pos < this.src.length && this.src[this.pos] !== quote) {
      if (quote === '"' && this.src[this.pos] === '\\') {
        out += this.src[this.pos + 1] ?? '';
        this.pos += 2;
        continue;
      }
      out += this.src[this.pos];
      this.pos += 1;
    }
    this.pos += 1;
    return out;
  }

  private value(path: (string | number)[]): void {
    this.skipBlank(false);
    const c = this.src[this.pos];
    if (this.src.startsWith('"""', this.pos) || this.src.startsWith("'''", this.pos)) {
      this.multilineString(this.src.slice(this.pos, this.pos + 3));
    } else if (c === '"' || c === "'") {
      this.quoted(c);
    } else if (c === '[') {
      this.pos += 1;
      for (let index = 0; ; index++) {
        this.skipBlank(true);
        if (this.pos >= this.src.length) return;
        if (this.src[this.pos] === ']') break;
        this.record([...path, index]);
        this.value([...path, index]);
        this.skipBlank(true);
        if (this.src[this.pos] === ',') this.pos += 1;
      }
      this.pos += 1;
    } else if (c === '{') {
      this.pos += 1;
      while (this.pos < this.src.length) {
        this.skipBlank(true);
        if (this.src[this.pos] === '}') break;
        const inner = [...path, ...this.key('=')];
        this.record(inner);
        this.pos += 1;
        this.value(inner);
        this.skipBlank(true);
        if (this.src[this.pos] === ',') this.pos += 1;
        else if (this.src[this.pos] !== '}') break;
      }
      this.pos += 1;
    } else {
      while (this.pos < this.src.length && !',]}#\n'.includes(this.src[this.pos] as string)) this.pos += 1;
    }
  }

  private multilineString(delimiter: string): void {
    this.pos += 3;
    while (this.pos < this.src.length) {
      if (delimiter === '"""' && this.src[this.pos] === '\\') {
        if (this.src[this.pos + 1] === '\n') this.line += 1;
        this.pos += 2;
        continue;
      }
      if (this.src.startsWith(delimiter, this.pos)) {
        this.pos += 3;
        // up to two more quotes may belong to the string's content (`""""` ends with one quote)
        while (this.src[this.pos] === delimiter[0]) this.pos += 1;
        return;
      }
      if (this.src[this.pos] === '\n') this.line += 1;
      this.pos += 1;
    }
  }

  /** Skips spaces and comments, and newlines too when `newlines`. */
  private skipBlank(newlines: boolean): void {
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || c === '\r') this.pos += 1;
      else if (c === '#') {
        while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos += 1;
      } else if (c === '\n' && newlines) {
        this.line += 1;
        this.pos += 1;
      } else break;
    }
  }
}
