import { z } from 'zod';

/** Where a resolved item came from, so errors and rendered SQL can point at the config line. */
export const Provenance = z.object({
  file: z.string(),
  /** Dotted key path, e.g. `metrics.active_hours.select_expression`. */
  key: z.string(),
  line: z.number().int().positive().nullable().default(null),
});
export type Provenance = z.infer<typeof Provenance>;
