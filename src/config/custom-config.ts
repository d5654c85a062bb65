import { fileRefusal } from '../file-refusal.js';
import type { ConfigFile } from './config-file.js';
import { parseConfigFile, parseConfigText } from './parse.js';
import { ConfigError } from './problems.js';

/**
 * A custom experiment config (`--config_file`) travels to the worker as TOML text. Its path
 * rides along as a last comment line, so errors name the file its author edits, at the same
 * lines (the comment comes after everything else).
 */
const PATH_MARKER = '# contrail: config file ';

/** The text of a custom config with its path recorded for messages. */
export function customConfigText(text: string, path: string): string {
  return `${text}${text.endsWith('\n') ? '' : '\n'}${PATH_MARKER}${path}\n`;
}

/**
 * `configFile` is a path, or the TOML text itself (anything with a newline or `[`); text is
 * named by the path it recorded, else `<slug>.toml (custom config)`.
 */
export function customConfig(configFile: string, slug: string): ConfigFile {
  const isText = configFile.includes('\n') || configFile.trimStart().startsWith('[');
  if (isText) {
    const marker = configFile.lastIndexOf(`\n${PATH_MARKER}`);
    const path = marker === -1 ? null : configFile.slice(marker + PATH_MARKER.length + 1).trim();
    return parseConfigText(path ?? `${slug}.toml (custom config)`, configFile, 'experiment', slug, null);
  }
  try {
    return parseConfigFile(configFile);
  } catch (error) {
    throw new ConfigError([
      {
        file: configFile,
        line: null,
        keyPath: '',
        message: `cannot read the custom config: ${fileRefusal(error, 'a config file')}`,
      },
    ]);
  }
}
