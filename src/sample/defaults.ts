// The sample's default sizes and dates, apart from the generator: `contrail sample --help`
// shows them, and the CLI's parser should not load the generator (zod, the experiments) to
// print its help.

/**
 * The demo's data window: 28 days before its start (preenrollment_days28) through its end date
 * (2026-02-02 … 2026-03-29, 56 days), so every analysis period of the demo has data.
 */
export const DEMO_DATA = { startDate: '2026-02-02', days: 56 } as const;

export const DEFAULT_SAMPLE_OPTIONS = {
  clients: 20_000,
  days: DEMO_DATA.days,
  startDate: DEMO_DATA.startDate,
  seed: 1,
} as const;

/** The largest `--seed` of a sample, as the generator takes it (a 32-bit integer's). */
export const MAX_SAMPLE_SEED = 2_147_483_647;

/**
 * The earliest `--start_date` of a sample: the generator draws each day's values from a hash of
 * the day's epoch seconds cast to an unsigned integer, which a day before 1970 does not fit.
 */
export const FIRST_SAMPLE_DATE = '1970-01-01';
