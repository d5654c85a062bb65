// The entry of the bundle a checkout's `bin/contrail` runs (bin/launch.mjs): the CLI as a program.
import { runAsProgram } from './cli.js';

runAsProgram();
