import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});
