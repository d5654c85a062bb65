import {
  type BigQuerySettings,
  type BigQuerySettingsOverrides,
  bigQuerySettings,
} from '../warehouse/bigquery-settings.js';
import { CliError } from './errors.js';

/**
 * The BigQuery settings a command runs with (CONTRAIL_BIGQUERY_*, `--project_id`): one missing
 * or malformed stops the command with the message naming it, before anything starts.
 */
export function commandBigQuerySettings(
  env: NodeJS.ProcessEnv = process.env,
  overrides: BigQuerySettingsOverrides = {},
): BigQuerySettings {
  try {
    return bigQuerySettings(env, overrides);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
