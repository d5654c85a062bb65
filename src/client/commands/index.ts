import type { CommandModule } from 'yargs';
import { doctorCommand } from './doctor.js';
import { planCommand } from './plan.js';
import { serverCommand } from './server.js';
import { statsCommand } from './stats.js';
import { validateCommand } from './validate.js';
import { workerCommand } from './worker.js';

// Each command lives in its own module; add it to this list (alphabetical).
// biome-ignore lint/suspicious/noExplicitAny: yargs command modules differ in their argument types; the list only needs to hold them.
export const commands: CommandModule<any, any>[] = [
  doctorCommand,
  planCommand,
  serverCommand,
  statsCommand,
  validateCommand,
  workerCommand,
];
