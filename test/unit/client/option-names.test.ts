import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import yargs from 'yargs';
import { commands } from '../../../src/client/commands/index.js';

/** Each option of a command under every name the parser takes it by (its key and its aliases). */
function optionsOf(command: (typeof commands)[number]): Map<string, string[]> {
  const parser = yargs([]);
  (command.builder as (y: typeof parser) => unknown)(parser);
  const { key, alias } = (
    parser as unknown as { getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]> } }
  ).getOptions();
  // Positional arguments are words, not options: `status <workflow_id>` takes no `--workflow-id`.
  const positionals = String(command.command)
    .split(' ')
    .slice(1)
    .map((word) => word.replace(/^[<[]|(\.\.)?[>\]]$/g, ''));
  const options = new Map<string, string[]>();
  for (const name of Object.keys(key)) {
    if (['help', 'version', ...positionals].includes(name)) continue;
    // The parser lists every alias as a key of its own too: one entry per option.
    if ([...options.values()].some((names) => names.includes(name))) continue;
    options.set(name, [name, ...(alias[name] ?? [])].sort());
  }
  return options;
}

/**
 * What each option is called where --help lists it first (its key), by every other name it
 * takes, over every command.
 */
function firstListedNames(): Map<string, string> {
  const firstOf = new Map<string, string>();
  for (const command of commands) {
    for (const [key, names] of optionsOf(command)) {
      for (const name of names) if (name !== key) firstOf.set(name, key);
    }
  }
  return firstOf;
}

/** Every TypeScript file under a directory. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file));
}

/**
 * The options a file's code names (`--x_y`, `--no-x_y`), its comments left out: what it says to
 * a user, in a message, a hint or a suggested command, as opposed to why it does so.
 */
function optionsNamedIn(file: string): string[] {
  const { code } = transformSync(readFileSync(file, 'utf8'), { loader: 'ts', legalComments: 'none' });
  return [...code.matchAll(/(?<![\w-])--(?:no-)?([a-z][a-z0-9_-]*)/g)].map((match) => match[1] as string);
}

const commandName = (command: (typeof commands)[number]) => String(command.command).split(' ')[0] as string;

describe('option names', () => {
  it('every option of every command takes both spellings, x_y and x-y', () => {
    const missing: string[] = [];
    for (const command of commands) {
      for (const names of optionsOf(command).values()) {
        for (const name of names) {
          for (const twin of [name.replaceAll('_', '-'), name.replaceAll('-', '_')]) {
            if (!names.includes(twin)) missing.push(`contrail ${commandName(command)} --${twin}`);
          }
        }
      }
    }
    assert.deepEqual([...new Set(missing)], []);
  });

  it('an option several commands take answers to the same names on each', () => {
    const seen = new Map<string, { command: string; names: string[] }>();
    const differ: string[] = [];
    for (const command of commands) {
      for (const names of optionsOf(command).values()) {
        for (const name of names) {
          const earlier = seen.get(name);
          if (earlier === undefined) seen.set(name, { command: commandName(command), names });
          else if (earlier.names.join() !== names.join())
            differ.push(
              `--${name}: ${earlier.command} takes ${earlier.names.join(' ')}, ${commandName(command)} ${names.join(' ')}`,
            );
        }
      }
    }
    assert.deepEqual([...new Set(differ)], []);
  });

  it('an option is listed first under the same name on every command that takes it', () => {
    const firstOf = firstListedNames();
    const differ: string[] = [];
    for (const command of commands) {
      for (const key of optionsOf(command).keys()) {
        const elsewhere = firstOf.get(key);
        if (elsewhere !== undefined)
          differ.push(`contrail ${commandName(command)} lists --${key} first, another --${elsewhere}`);
      }
    }
    assert.deepEqual(differ, []);
  });

  // Errors, hints, help texts and the commands contrail suggests, wherever in src they are
  // written, name an option one way, as the help the user reads does. An option as the user
  // typed it is echoed from the command line (`unknown option --num-dayz`), never written here.
  it('what contrail says names each option as --help lists it first', () => {
    const src = fileURLToPath(new URL('../../../src/', import.meta.url));
    const firstOf = firstListedNames();
    const misnamed: string[] = [];
    for (const file of sourceFiles(src)) {
      for (const name of optionsNamedIn(file)) {
        const first = firstOf.get(name);
        if (first !== undefined) misnamed.push(`${relative(src, file)}: --${name} (--help lists --${first})`);
      }
    }
    assert.deepEqual([...new Set(misnamed)], []);
  });
});
