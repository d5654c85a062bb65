/**
 * Calendar dates as YYYY-MM-DD strings (UTC): their schema and their arithmetic. Pure and
 * deterministic: used by domain code and by workflow code alike.
 */
import { z } from 'zod';
import { ContrailError } from './errors.js';

/** An ISO calendar date, `YYYY-MM-DD` (UTC). Dates travel as strings: plain JSON through Temporal. */
export const IsoDate = z
  .string()
  // A string that is no date at all is said once: the calendar check below does not run on it.
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date as YYYY-MM-DD', abort: true })
  .refine(
    (s) =>
      !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    {
      message: 'not a real calendar date (expected YYYY-MM-DD)',
      // A date not on the calendar is said once too: the checks a caller adds (an analysis
      // date's "is after today") do not run on it, and as text 2026-13-01 sorts after today.
      abort: true,
    },
  );
export type IsoDate = z.infer<typeof IsoDate>;

/** Milliseconds in a (UTC) day. */
export const DAY_MS = 86_400_000;

/** A date that is not a calendar date in YYYY-MM-DD form. */
export class InvalidDateError extends ContrailError {
  constructor(date: string) {
    super(`invalid date ${JSON.stringify(date)}: expected YYYY-MM-DD`, { permanent: true });
    this.name = 'InvalidDateError';
  }
}

function toEpochDay(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new InvalidDateError(date);
  return Math.round(ms / DAY_MS);
}

/** The instant a (UTC) calendar date begins, in epoch milliseconds. */
export function startOfDayMs(date: string): number {
  return toEpochDay(date) * DAY_MS;
}

/** The UTC calendar date of an instant. */
export function isoDate(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/**
 * The date a daily run analyses: the day before the (UTC) day of its scheduled start, whose
 * telemetry is complete by then. A run triggered by hand is scheduled for the time of its trigger.
 */
export function scheduledRunDate(scheduledStart: Date): string {
  return addDays(isoDate(scheduledStart), -1);
}

export function addDays(date: string, days: number): string {
  return isoDate(new Date((toEpochDay(date) + days) * DAY_MS));
}

/** `to − from` in days. */
export function daysBetween(from: string, to: string): number {
  return toEpochDay(to) - toEpochDay(from);
}

/** Dates from `start` to `end` inclusive. */
export function dateRange(start: string, end: string): string[] {
  const dates: string[] = [];
  for (let day = toEpochDay(start); day <= toEpochDay(end); day++) {
    dates.push(isoDate(new Date(day * DAY_MS)));
  }
  return dates;
}
