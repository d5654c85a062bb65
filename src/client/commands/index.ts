import type { CommandModule } from 'yargs';

// Each command lives in its own module; add it to this list (alphabetical).
// biome-ignore lint/suspicious/noExplicitAny: yargs command modules differ in their argument types; the list only needs to hold them.
export const commands: CommandModule<any, any>[] = [];
