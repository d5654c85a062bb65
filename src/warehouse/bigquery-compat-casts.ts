/**
 * BigQuery's CAST and SAFE_CAST to INT64, FLOAT64, NUMERIC, BOOL and DATE as DuckDB macros (the
 * DuckDB renderer turns `CAST(x AS INT64)` into `bq_cast_int64(x)` and `SAFE_CAST(…)` into
 * `bq_safe_cast_…`). DuckDB's own casts read more text than BigQuery's and round differently,
 * silently:
 * - text to INT64: DuckDB rounds '1.5' to 2 and reads '1e3', '1_000', '0b101'; BigQuery takes
 *   only an optionally signed decimal or hexadecimal integer (fails otherwise: an error for CAST,
 *   NULL for SAFE_CAST), with ASCII whitespace around it, and also a signed hex ('-0x1F' is -31);
 * - FLOAT64 to INT64: BigQuery rounds halfway cases away from zero (2.5 → 3, -0.5 → -1), DuckDB
 *   to even (2, 0);
 * - text to FLOAT64 / NUMERIC: BigQuery refuses '1_000' and reads '+inf' and (FLOAT64) '0x10';
 * - text to BOOL: BigQuery takes only 'true' and 'false' in any case, DuckDB also 't', 'yes', '1';
 * - text to DATE: BigQuery takes only a date literal 'YYYY-M-D' (no time, no spaces, year 0001
 *   and later), DuckDB also '2024-01-05 10:00:00', '2024/01/05', ' 2024-01-05'.
 * Other argument types are cast by DuckDB, as before. The macro tells text from the rest by
 * DuckDB's typeof; the branches not taken still bind, so the text one casts through VARCHAR.
 * Text passes a regular expression first (about 0.15 µs a value here), then DuckDB's cast, which
 * trims the same whitespace.
 */

// The characters BigQuery trims around a number: ASCII whitespace.
const SPACE = '[ \\t\\n\\r\\f\\v]*';
const HEX = '0[xX][0-9a-fA-F]+';
const DECIMAL = '([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?';

/** A signed hexadecimal integer in `s` (already matched) as a HUGEINT. */
const hexValue = (s: string) =>
  `(CASE WHEN contains(${s}, '-') THEN -1 ELSE 1 END * CAST(TRY_CAST(regexp_extract(${s}, '${HEX}') AS UBIGINT) AS HUGEINT))`;

interface CastTarget {
  /** DuckDB's type for the result. */
  duckdb: string;
  /** The value of the text `s` as BigQuery reads it, NULL where BigQuery's cast fails. */
  text: (s: string) => string;
  /** BigQuery's error for text it cannot read (its own wording). */
  bad: string;
}

const TARGETS: Record<string, CastTarget> = {
  int64: {
    duckdb: 'BIGINT',
    text: (s) => `CASE
      WHEN regexp_full_match(${s}, '${SPACE}[+-]?[0-9]+${SPACE}') THEN TRY_CAST(${s} AS BIGINT)
      WHEN regexp_full_match(${s}, '${SPACE}[+-]?${HEX}${SPACE}') THEN TRY_CAST(${hexValue(s)} AS BIGINT)
    END`,
    bad: 'Bad int64 value: ',
  },
  float64: {
    duckdb: 'DOUBLE',
    text: (s) => `CASE
      WHEN regexp_full_match(${s}, '${SPACE}[+-]?${DECIMAL}${SPACE}') THEN TRY_CAST(${s} AS DOUBLE)
      WHEN regexp_full_match(lower(${s}), '${SPACE}[+-]?(inf|infinity|nan)${SPACE}') THEN CAST(replace(regexp_extract(lower(${s}), '[+-]?(infinity|inf|nan)'), '+', '') AS DOUBLE)
      WHEN regexp_full_match(${s}, '${SPACE}[+-]?${HEX}${SPACE}') THEN CAST(${hexValue(s)} AS DOUBLE)
    END`,
    bad: 'Bad double value: ',
  },
  numeric: {
    duckdb: 'DECIMAL(38, 9)',
    text: (s) => `CASE
      WHEN regexp_full_match(${s}, '${SPACE}[+-]?${DECIMAL}${SPACE}') THEN TRY_CAST(${s} AS DECIMAL(38, 9))
    END`,
    bad: 'Invalid NUMERIC value: ',
  },
  bool: {
    duckdb: 'BOOLEAN',
    text: (s) => `CASE lower(${s}) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END`,
    bad: 'Bad bool value: ',
  },
  date: {
    duckdb: 'DATE',
    text: (s) => `CASE
      WHEN regexp_full_match(${s}, '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}') AND NOT starts_with(${s}, '0000') THEN TRY_CAST(${s} AS DATE)
    END`,
    bad: 'Invalid date: ',
  },
};

/** The BigQuery cast targets the renderer rewrites, by the type names BigQuery accepts for them. */
export const CAST_TARGETS: Readonly<Record<string, keyof typeof TARGETS>> = {
  INT64: 'int64',
  INT: 'int64',
  INTEGER: 'int64',
  BIGINT: 'int64',
  SMALLINT: 'int64',
  TINYINT: 'int64',
  BYTEINT: 'int64',
  FLOAT64: 'float64',
  NUMERIC: 'numeric',
  DECIMAL: 'numeric',
  BOOL: 'bool',
  BOOLEAN: 'bool',
  DATE: 'date',
};

/** The SQL creating bq_cast_<type>(x) and bq_safe_cast_<type>(x) for each target. */
export const CAST_MACRO_SQL: readonly string[] = Object.entries(TARGETS).flatMap(([name, target]) => {
  const text = target.text('CAST(x AS VARCHAR)');
  const isText = "typeof(x) = 'VARCHAR'";
  // FLOAT64 → INT64 rounds halfway cases away from zero, as DuckDB's round() does (its cast
  // rounds them to even).
  const fromFloat =
    name === 'int64'
      ? (cast: string) =>
          `WHEN typeof(x) IN ('DOUBLE', 'FLOAT') THEN ${cast}(round(CAST(x AS DOUBLE)) AS BIGINT)`
      : () => '';
  return [
    `CREATE OR REPLACE TEMP MACRO bq_safe_cast_${name}(x) AS CASE
       WHEN ${isText} THEN ${text}
       ${fromFloat('TRY_CAST')}
       ELSE TRY_CAST(x AS ${target.duckdb})
     END`,
    `CREATE OR REPLACE TEMP MACRO bq_cast_${name}(x) AS CASE
       WHEN ${isText} THEN coalesce(${text}, CASE WHEN x IS NOT NULL THEN error('${target.bad}' || CAST(x AS VARCHAR)) END)
       ${fromFloat('CAST')}
       ELSE CAST(x AS ${target.duckdb})
     END`,
  ];
});
