import { createHash } from 'node:crypto';
import { ContrailError } from '../errors.js';
import { abortError, WarehouseQueryError } from './errors.js';
import type { Warehouse } from './warehouse.js';
import { type WarehouseCall, WrappedWarehouse } from './wrapped.js';

/**
 * Faults injected into warehouse calls, for tests of what contrail does when the warehouse
 * misbehaves: `CONTRAIL_FAULTS`, comma-separated:
 *
 *   warehouse:<p>                  each call fails with a transient error with probability p
 *                                  (0–1), before it runs or after it ran (its work done, its
 *                                  answer lost), as a network failure would
 *   seed:<n>                       the seed of those choices (default 1)
 *   stop:<method>[:<prefix>]@<n>   the n-th call of `method` (on a table whose name starts with
 *                                  `prefix`) stops the process where it is: it prints
 *                                  `contrail fault: stopped at …` on stderr and waits to be killed
 *                                  (or for the job to be cancelled, as a running query is)
 *
 * Whether a call fails is a hash of the seed, the call (method and table) and how often this
 * process made that call before: the same work fails the same way in every run, whatever
 * order concurrent steps happen to call in.
 */
export interface FaultPlan {
  /** Probability that a warehouse call fails (transient). */
  warehouse: number;
  seed: number;
  stops: { method: string; prefix: string; nth: number }[];
}

/** A CONTRAIL_FAULTS setting that does not parse. */
export class InvalidFaultsError extends ContrailError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'InvalidFaultsError';
  }
}

const METHODS = new Set<WarehouseCall['method']>([
  'runToTable',
  'writeRows',
  'query',
  'readRows',
  'execute',
  'dryRun',
  'tableExists',
  'getTable',
  'tableColumns',
  'setLabels',
  'createDataset',
  'listTables',
  'dropTable',
  'swapTables',
]);

/** Parses `CONTRAIL_FAULTS`; null when unset or empty. */
export function parseFaults(text: string | undefined): FaultPlan | null {
  if (text === undefined || text.trim() === '') return null;
  const plan: FaultPlan = { warehouse: 0, seed: 1, stops: [] };
  const valid =
    'valid: warehouse:<probability 0–1>, seed:<integer>, stop:<method>[:<table prefix>]@<n> (comma-separated)';
  for (const item of text.split(',').map((s) => s.trim())) {
    const [kind, ...rest] = item.split(':');
    const value = rest.join(':');
    if (kind === 'warehouse' && /^(0(\.\d+)?|1(\.0+)?)$/.test(value)) {
      plan.warehouse = Number(value);
    } else if (kind === 'seed' && /^\d+$/.test(value)) {
      plan.seed = Number(value);
    } else if (kind === 'stop' && /^[A-Za-z]+(:[A-Za-z0-9_]*)?@[1-9]\d*$/.test(value)) {
      const [where = '', nth = ''] = value.split('@');
      const [method = '', prefix = ''] = where.split(':');
      if (!METHODS.has(method as WarehouseCall['method'])) {
        throw new InvalidFaultsError(
          `CONTRAIL_FAULTS: ${JSON.stringify(item)} names no warehouse method; methods: ${[...METHODS].join(', ')}`,
        );
      }
      plan.stops.push({ method, prefix, nth: Number(nth) });
    } else {
      throw new InvalidFaultsError(`CONTRAIL_FAULTS: cannot read ${JSON.stringify(item)}; ${valid}`);
    }
  }
  return plan;
}

/** A number in [0, 1) from a hash of the parts. */
function unitHash(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * `warehouse` with the plan's faults injected. `log` hears each one (tests count them);
 * `stop` is what a stop point does (default: say so on stderr and wait forever, to be killed).
 */
export function withFaults(
  warehouse: Warehouse,
  plan: FaultPlan,
  options: {
    log?: (line: string) => void;
    stop?: (where: string, signal?: AbortSignal) => Promise<never>;
  } = {},
): Warehouse {
  const seen = new Map<string, number>();
  const stopCounts = plan.stops.map(() => 0);
  const stop =
    options.stop ??
    ((where: string, signal?: AbortSignal) => {
      process.stderr.write(`contrail fault: stopped at ${where}\n`);
      // Stopped as a long query is: the job's cancellation ends it, as it interrupts a query.
      return new Promise<never>((_, reject) => {
        signal?.addEventListener('abort', () => reject(abortError(signal.reason)), { once: true });
      });
    });
  return new WrappedWarehouse(
    warehouse.dialect,
    warehouse.sqlDialect,
    async (call, run) => {
      const table = call.table?.table ?? '';
      for (const [i, s] of plan.stops.entries()) {
        if (s.method !== call.method || !table.startsWith(s.prefix)) continue;
        stopCounts[i] = (stopCounts[i] ?? 0) + 1;
        if (stopCounts[i] === s.nth)
          await stop(`${call.method} ${table || '(no table)'} (call ${s.nth})`, call.progress.signal);
      }
      if (plan.warehouse === 0) return run(warehouse);
      const key = `${call.method} ${call.table ? `${call.table.dataset}.${table}` : ''}`;
      const count = (seen.get(key) ?? 0) + 1;
      seen.set(key, count);
      const draw = unitHash(plan.seed, key, count);
      if (draw >= plan.warehouse) return run(warehouse);
      // The lower half of the failing draws fail before the call, the upper half after it.
      const after = draw >= plan.warehouse / 2;
      const fault = () => {
        options.log?.(`injected fault ${after ? 'after' : 'before'} ${key} (call ${count})`);
        return new WarehouseQueryError({
          warehouseMessage: `injected fault (CONTRAIL_FAULTS) ${after ? 'after' : 'before'} ${call.method}`,
          destination: call.table,
          permanent: false,
        });
      };
      if (!after) throw fault();
      await run(warehouse);
      throw fault();
    },
    () => warehouse.close(),
  );
}
