import { statSync } from 'node:fs';
import { extname } from 'node:path';
import type { CommandModule } from 'yargs';
import type { StatisticInput, ValueBin } from '../../statistics/inputs.js';
import type { StatisticSpec } from '../../statistics/spec.js';
import { CliError } from '../errors.js';
import { checkedSeed } from '../option-values.js';
import { invalidChoice } from '../options.js';

interface StatsArgs {
  file: string;
  statistic: string;
  param: string[];
  pre_treatment: string[];
  seed: number;
  metric: string;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** "3" → 3, "true" → true, "null" → null, anything else stays a string. */
function parseValue(raw: string): Json {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null') return null;
  if (raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  return raw;
}

/** `k=v` pairs (dotted keys nest: covariate_adjustment.period=preenrollment_week). */
export function parseAssignments(pairs: string[], flag: string): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`${flag} '${pair}' must look like key=value`, 2);
    const keys = pair.slice(0, eq).split('.');
    let target = out;
    for (const k of keys.slice(0, -1)) {
      const next = target[k];
      if (next === undefined || typeof next !== 'object' || next === null || Array.isArray(next))
        target[k] = {};
      target = target[k] as Record<string, Json>;
    }
    target[keys[keys.length - 1] as string] = parseValue(pair.slice(eq + 1));
  }
  return out;
}

/** `name` or `name:k=v,k=v`. */
function parsePreTreatment(s: string): StatisticSpec['preTreatments'][number] {
  const [name, rest] = [s.split(':')[0] as string, s.split(':').slice(1).join(':')];
  return { name, args: rest ? parseAssignments(rest.split(','), '--pre_treatment') : {} };
}

/** What `<file>` must be, said in every refusal of one. */
const FILE_WANTED = 'give a .csv or .parquet file of branch,value[,covariate] rows (see --help)';

/**
 * The `<file>` argument, checked before DuckDB reads it: a name that is no file, or not one of
 * the two formats read, is a usage error (exit 2) naming the argument and what it takes.
 */
function checkFile(file: string): void {
  const refuse = (why: string): never => {
    throw new CliError(`<file> '${file}': ${why}; ${FILE_WANTED}`, 2);
  };
  if (!['.csv', '.parquet'].includes(extname(file).toLowerCase()))
    refuse(
      `its name ends in ${extname(file) === '' ? 'no extension' : `'${extname(file)}'`}, not .csv or .parquet`,
    );
  let kind: ReturnType<typeof statSync>;
  try {
    kind = statSync(file, { throwIfNoEntry: false });
  } catch (error) {
    // ENOTDIR (a file where a directory of the path should be), EACCES: no file to read either way.
    kind = undefined;
    refuse(`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  if (kind === undefined) refuse('no such file');
  else if (!kind.isFile()) refuse('not a file');
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Reads the file with DuckDB and aggregates it to (branch, y[, x], count) bins there. Rows
 * without a branch are left out, with a warning; a file without rows is refused.
 */
async function readBins(
  file: string,
  columns: { y: string; x: string | null },
): Promise<{ branches: StatisticInput['branches']; warnings: string[]; present: string[] }> {
  const ext = extname(file).toLowerCase();
  const reader =
    ext === '.csv'
      ? `read_csv_auto(${sqlString(file)})`
      : ext === '.parquet'
        ? `read_parquet(${sqlString(file)})`
        : null;
  if (reader === null) throw new CliError(`<file> '${file}': not .csv or .parquet; ${FILE_WANTED}`, 2);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    let present: string[];
    try {
      const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${reader}`);
      present = described.getRowObjectsJS().map((r) => String(r.column_name));
    } catch (error) {
      throw new CliError(
        `cannot read '${file}': ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      );
    }
    const needed = ['branch', columns.y, ...(columns.x ? [columns.x] : [])];
    for (const c of needed) {
      if (!present.includes(c)) {
        throw new CliError(
          `file '${file}' has no column '${c}'; this statistic needs columns ${needed.join(', ')} (found: ${present.join(', ')})`,
        );
      }
    }
    const q = (c: string) => `"${c.replaceAll('"', '""')}"`;
    const x = columns.x ? `, TRY_CAST(${q(columns.x)} AS DOUBLE) AS x` : '';
    let result: Awaited<ReturnType<typeof connection.runAndReadAll>>;
    try {
      result = await connection.runAndReadAll(
        `SELECT CAST(branch AS VARCHAR) AS branch, CAST(${q(columns.y)} AS DOUBLE) AS y${x}, count(*) AS n
         FROM ${reader} GROUP BY ALL ORDER BY ALL`,
      );
    } catch (error) {
      // DuckDB's conversion error names the value, not where it is: find the first such row.
      const bad = await connection
        .runAndReadAll(
          `SELECT row, CAST(value AS VARCHAR) AS value FROM (
             SELECT row_number() OVER () AS row, ${q(columns.y)} AS value FROM ${reader}
           ) WHERE value IS NOT NULL AND TRY_CAST(value AS DOUBLE) IS NULL LIMIT 1`,
        )
        .then((r) => r.getRowObjectsJS()[0])
        .catch(() => undefined);
      // A CSV's first line is its header; a Parquet file has rows, not lines.
      const where = bad
        ? `${ext === '.csv' ? `line ${Number(bad.row) + 1}` : `row ${Number(bad.row)}`}: ${columns.y} ${JSON.stringify(String(bad.value))} is not a number`
        : error instanceof Error
          ? (error.message.split('\n')[0] ?? '')
          : String(error);
      throw new CliError(`cannot aggregate '${file}': ${where} (values must be numbers or booleans)`);
    }
    const rows = result.getRowObjectsJS();
    if (rows.length === 0) {
      throw new CliError(`file '${file}' has no rows: there is nothing to compute a statistic over`);
    }
    const warnings: string[] = [];
    const byBranch = new Map<string, ValueBin[]>();
    let unbranched = 0;
    for (const r of rows) {
      // An empty branch cell is no branch (String(null) would make one called 'null').
      if (r.branch === null || r.branch === undefined) {
        unbranched += Number(r.n);
        continue;
      }
      const branch = String(r.branch);
      const bin: ValueBin = { y: num(r.y), count: Number(r.n) };
      if (columns.x) bin.x = num(r.x);
      const list = byBranch.get(branch) ?? [];
      list.push(bin);
      byBranch.set(branch, list);
    }
    if (unbranched > 0) {
      warnings.push(`left out ${unbranched} row(s) of '${file}' with an empty branch`);
    }
    return { branches: [...byBranch].map(([branch, bins]) => ({ branch, bins })), warnings, present };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * The warning for a file's `covariate` column that the statistic, as asked for, does not read:
 * the help offers the column, and a result computed without it looks just like one adjusted by
 * it. Said with what would read it: the statistic's covariate_adjustment parameter (its period
 * names the pre-enrolment period in a config; here, the column holds the covariate whatever it is),
 * or the statistics that have one.
 */
function unusedCovariate(
  file: string,
  statistic: string,
  adjusting: readonly string[],
  periods: readonly string[],
): string {
  const period = `covariate_adjustment.period=${periods.join('|')}`;
  return adjusting.includes(statistic)
    ? `column 'covariate' of '${file}' is ignored: --statistic ${statistic} adjusts for it only with --param ${period}`
    : `column 'covariate' of '${file}' is ignored: --statistic ${statistic} takes no covariate (${adjusting.join(' and ')} adjust for it, with --param ${period})`;
}

export const statsCommand: CommandModule<object, StatsArgs> = {
  command: 'stats <file>',
  describe:
    'Compute one statistic over a CSV/Parquet file of branch,value[,covariate] (or branch,numerator,denominator) rows; prints result rows as JSON',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'a .csv or .parquet file' })
      .option('statistic', {
        type: 'string',
        demandOption: true,
        describe: 'jetstream statistic name, e.g. bootstrap_mean',
      })
      .option('param', {
        type: 'string',
        array: true,
        nargs: 1,
        requiresArg: true,
        default: [],
        describe:
          "statistic parameter key=value (repeatable; dotted keys nest); population_ratio's numerator and denominator name the file's columns (default: numerator, denominator); the covariate column is read only with covariate_adjustment.period=… (linear_model_mean, per_client_dau_impact)",
      })
      .option('pre_treatment', {
        alias: 'pre-treatment',
        type: 'string',
        array: true,
        nargs: 1,
        requiresArg: true,
        default: [],
        describe: 'pre-treatment name[:k=v,…] (repeatable, applied in order)',
      })
      .option('seed', { type: 'number', default: 0, describe: 'random seed (same seed, same output)' })
      .option('metric', {
        type: 'string',
        default: 'value',
        describe: 'metric name written in the rows',
      }) as never,
  handler: async (args) => {
    const {
      computeStatistic,
      requiredInput,
      StatisticConfigError,
      STATISTIC_NAMES,
      STATISTICS,
      PRE_TREATMENT_NAMES,
    } = await import('../../statistics/index.js');
    const { resolvePreTreatment } = await import('../../statistics/pretreatments.js');
    const { COVARIATE_PERIODS } = await import('../../statistics/linear-model.js');
    const spec: StatisticSpec = {
      name: args.statistic,
      params: parseAssignments(args.param, '--param'),
      preTreatments: args.pre_treatment.map(parsePreTreatment),
    };
    // A ratio's numerator and denominator are metrics in a config, columns in a file: by
    // default the columns the help names (branch,numerator,denominator).
    const shape = Object.hasOwn(STATISTICS, spec.name)
      ? STATISTICS[spec.name as (typeof STATISTIC_NAMES)[number]].params.shape
      : {};
    if ('numerator' in shape && 'denominator' in shape)
      spec.params = { numerator: 'numerator', denominator: 'denominator', ...spec.params };
    // What the flags ask for is checked before the file is read: a name or parameter the
    // statistics do not know is a usage error (exit 2) naming its flag.
    if (!(STATISTIC_NAMES as readonly string[]).includes(spec.name))
      throw new CliError(invalidChoice('--statistic', spec.name, STATISTIC_NAMES), 2);
    for (const p of spec.preTreatments) {
      if (!(PRE_TREATMENT_NAMES as readonly string[]).includes(p.name))
        throw new CliError(invalidChoice('--pre_treatment', p.name, PRE_TREATMENT_NAMES), 2);
    }
    checkedSeed(args.seed);
    const usage = <T>(flag: string, check: () => T): T => {
      try {
        return check();
      } catch (error) {
        if (error instanceof StatisticConfigError) throw new CliError(`${flag}: ${error.message}`, 2);
        throw error;
      }
    };
    const req = usage('--param', () => requiredInput(spec));
    for (const p of spec.preTreatments) usage('--pre_treatment', () => resolvePreTreatment(p));
    checkFile(args.file);
    try {
      const columns =
        req.kind === 'ratio'
          ? { y: req.numerator, x: req.denominator }
          : { y: 'value', x: req.kind === 'covariate' ? 'covariate' : null };
      const { branches, warnings: read, present } = await readBins(args.file, columns);
      if (present.includes('covariate') && columns.x !== 'covariate')
        read.push(
          unusedCovariate(
            args.file,
            spec.name,
            STATISTIC_NAMES.filter((n) => 'covariate_adjustment' in STATISTICS[n].params.shape),
            COVARIATE_PERIODS,
          ),
        );
      for (const w of read) process.stderr.write(`warning: ${w}\n`);
      const input: StatisticInput = { metric: args.metric, branches, windowDays: 1 };
      const reference = branches.some((b) => b.branch === 'control')
        ? 'control'
        : (branches[0]?.branch ?? null);
      const {
        rows,
        warnings,
        computationErrors = [],
      } = computeStatistic(spec, input, {
        segment: 'all',
        analysisBasis: 'enrollments',
        windowIndex: '1',
        referenceBranch: reference,
        seed: args.seed,
      });
      // No rows at all is no answer: a script reading `[]` would take it for one. The engine's
      // warnings say why (binomial over values other than 0 and 1); the file and columns say where.
      if (rows.length === 0) {
        const own = `${args.metric}/${spec.name}: `;
        const why = [...computationErrors, ...warnings].map((w) =>
          (w.startsWith(own) ? w.slice(own.length) : w).replace(/; no results$/, ''),
        );
        const read = [columns.y, ...(columns.x ? [columns.x] : [])].map((c) => `'${c}'`).join(' and ');
        throw new CliError(
          `--statistic ${spec.name} has no results for column ${read} of '${args.file}': ${why.length > 0 ? why.join('; ') : 'no row names a branch'}`,
        );
      }
      for (const e of computationErrors) process.stderr.write(`error: ${e}\n`);
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    } catch (error) {
      if (error instanceof StatisticConfigError || error instanceof RangeError)
        throw new CliError(error.message);
      throw error;
    }
  },
};
