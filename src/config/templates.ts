import nunjucks from 'nunjucks';
import { didYouMean } from '../suggest.js';

/**
 * Renders the Jinja in config SQL fragments with nunjucks (Jinja-compatible for what configs
 * use): `{{agg_sum("x")}}` and the other functions from `functions.toml`,
 * `{{experiment.start_date_str}}` and friends, `{{parameters.name}}`. Undefined names are
 * errors (jetstream renders with StrictUndefined). Compiled templates are cached per
 * renderer, so a definition shared by many experiments is compiled once.
 */
export interface TemplateContext {
  experiment?: Record<string, unknown>;
  parameters?: Record<string, string>;
}

export class TemplateRenderer {
  private readonly env: nunjucks.Environment;
  private readonly compiled = new Map<string, nunjucks.Template>();
  private readonly functionNames: string[];

  /** `functions`: name → SQL with `{select_expr}` where the argument goes. */
  constructor(functions: ReadonlyMap<string, string>) {
    this.env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
    this.functionNames = [...functions.keys()];
    for (const [name, definition] of functions) {
      this.env.addGlobal(name, (selectExpr: unknown) =>
        definition.replaceAll('{select_expr}', String(selectExpr)),
      );
    }
  }

  /**
   * Renders `source`; throws an Error whose message says what is undefined and what would be
   * valid. Text without `{{` or `{%` is returned as is.
   */
  render(source: string, context: TemplateContext): string {
    if (!source.includes('{{') && !source.includes('{%')) return source;
    this.checkNames(source, context);
    let template = this.compiled.get(source);
    if (!template) {
      try {
        template = new nunjucks.Template(joinAdjacentStrings(source), this.env, undefined, true);
      } catch (error) {
        throw new Error(`template syntax error: ${cleanMessage(error)}`);
      }
      this.compiled.set(source, template);
    }
    try {
      return template.render(context);
    } catch (error) {
      throw new Error(`template error: ${cleanMessage(error)}`);
    }
  }

  /** Names a template uses that do not exist, found before rendering so the message can suggest one. */
  private checkNames(source: string, context: TemplateContext): void {
    for (const block of variableBlocks(source)) {
      const body = withoutLiterals(block.body);
      for (const call of body.matchAll(/(?<![.\w])([A-Za-z_]\w*)\s*\(/g)) {
        const name = call[1] as string;
        if (!this.functionNames.includes(name)) {
          throw new Error(
            `unknown function '${name}'${didYouMean(name, this.functionNames)}; functions (from definitions/functions.toml) are ${this.functionNames.join(', ')}`,
          );
        }
      }
      for (const ref of body.matchAll(/\b(experiment|parameters)\.(\w+)/g)) {
        const [, scope, name] = ref as unknown as [string, 'experiment' | 'parameters', string];
        const available = context[scope];
        if (!available)
          throw new Error(
            `'${scope}.${name}' cannot be used here: no ${scope} values are available in this field`,
          );
        if (!(name in available)) {
          const known = Object.keys(available);
          throw new Error(
            `unknown ${scope === 'experiment' ? 'experiment attribute' : 'parameter'} '${scope}.${name}'${didYouMean(name, known)}; available: ${known.join(', ') || 'none'}`,
          );
        }
      }
    }
  }
}

/**
 * Whether a `{{ }}` block of `source` uses the variable `name` (`{{experiment.start_date_str}}`),
 * outside its string literals.
 */
export function usesVariable(source: string, name: string): boolean {
  const use = new RegExp(`(?<![.\\w])${name}\\b`);
  return variableBlocks(source).some((block) => use.test(withoutLiterals(block.body)));
}

/** A string literal inside a Jinja expression (single or double quotes, backslash escapes). */
const LITERAL = /(['"])((?:\\.|(?!\1)[^\\])*)\1/y;

/**
 * Each `{{ ... }}` of a template with its body, found by scanning (a `}}` inside a string
 * literal does not end the block, as in Jinja's lexer).
 */
function variableBlocks(source: string): { start: number; end: number; body: string }[] {
  const blocks: { start: number; end: number; body: string }[] = [];
  let i = source.indexOf('{{');
  while (i !== -1) {
    let j = i + 2;
    while (j < source.length && !source.startsWith('}}', j)) {
      LITERAL.lastIndex = j;
      if ((source[j] === '"' || source[j] === "'") && LITERAL.exec(source)) j = LITERAL.lastIndex;
      else j += 1;
    }
    if (j >= source.length) break;
    blocks.push({ start: i, end: j + 2, body: source.slice(i + 2, j) });
    i = source.indexOf('{{', j + 2);
  }
  return blocks;
}

/** A block's body with every string literal emptied, to find the names it uses. */
function withoutLiterals(body: string): string {
  return body.replace(new RegExp(LITERAL.source, 'g'), '""');
}

/**
 * Jinja joins adjacent string literals (`"a" "b"` is `"ab"`), and configs rely on it: a
 * Python-style triple-quoted argument lexes as `""`, `"..."`, `""`. nunjucks does not, so inside
 * each `{{ }}` runs of adjacent literals are rewritten as one double-quoted literal.
 */
export function joinAdjacentStrings(source: string): string {
  let out = '';
  let last = 0;
  for (const block of variableBlocks(source)) {
    out += source.slice(last, block.start);
    out += `{{${joinLiterals(block.body)}}}`;
    last = block.end;
  }
  return out + source.slice(last);
}

function joinLiterals(body: string): string {
  let out = '';
  let i = 0;
  while (i < body.length) {
    LITERAL.lastIndex = i;
    if (!LITERAL.exec(body)) {
      out += body[i];
      i += 1;
      continue;
    }
    let joined = '';
    let end = i;
    for (;;) {
      LITERAL.lastIndex = end;
      const m = LITERAL.exec(body);
      if (!m) break;
      joined += unescapeLiteral(m[2] as string);
      end = LITERAL.lastIndex;
      let after = end;
      while (after < body.length && /\s/.test(body[after] as string)) after += 1;
      if (body[after] === '"' || body[after] === "'") end = after;
      else break;
    }
    out += JSON.stringify(joined);
    i = end;
  }
  return out;
}

function unescapeLiteral(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

function cleanMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // nunjucks writes an error thrown while rendering (an experiment attribute a getter refuses, a
  // filter it lacks) as "Error: <message>" after the path: "template error: Error: …" said it twice.
  return message
    .replace(/^\(unknown path\)\s*/, '')
    .replace(/^(\[Line \d+, Column \d+\]\s*)?Error:\s*/, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}
