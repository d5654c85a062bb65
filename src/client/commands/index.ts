import type { CommandModule } from 'yargs';
import { backfillCommand } from './backfill.js';
import { cancelCommand } from './cancel.js';
import { dashboardCommand } from './dashboard.js';
import { doctorCommand } from './doctor.js';
import { planCommand } from './plan.js';
import { previewCommand } from './preview.js';
import { rerunCommand } from './rerun.js';
import { rerunSkipCommand } from './rerun-skip.js';
import { runCommand } from './run.js';
import { sampleCommand } from './sample.js';
import { scheduleCommand } from './schedule.js';
import { serverCommand } from './server.js';
import { statsCommand } from './stats.js';
import { statusCommand } from './status.js';
import { validateCommand } from './validate.js';
import { versionsCommand } from './versions.js';
import { workerCommand } from './worker.js';

// Each command lives in its own module; add it to this list (alphabetical). A command module
// imports at its top only what its definition needs (options, help text, checks): the parser
// loads every one of them, for `--help` and for usage errors too. What a command runs with
// (Temporal's client, the statistics, the config loader, zod schemas) its handler imports, so
// a command loads only its own.
// biome-ignore lint/suspicious/noExplicitAny: yargs command modules differ in their argument types; the list only needs to hold them.
export const commands: CommandModule<any, any>[] = [
  backfillCommand,
  cancelCommand,
  dashboardCommand,
  doctorCommand,
  planCommand,
  previewCommand,
  rerunCommand,
  rerunSkipCommand,
  runCommand,
  sampleCommand,
  scheduleCommand,
  serverCommand,
  statsCommand,
  statusCommand,
  validateCommand,
  versionsCommand,
  workerCommand,
];
