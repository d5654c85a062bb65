import { BIGINT, type DuckDBConnection, DuckDBScalarFunction, VARCHAR } from '@duckdb/node-api';
import { bigqueryFingerprint } from 'farmhash-modern';

/**
 * BigQuery functions that metric-hub SQL uses and DuckDB lacks (or spells differently),
 * installed on every DuckDB warehouse connection so config select expressions run unchanged
 * where DuckDB's grammar allows it. This list is the single place the SQL renderer reads to
 * know what exists and which BigQuery spellings it must still rewrite.
 *
 * Macros are TEMP (connection-local), so nothing is persisted into the user's warehouse file
 * and an upgrade of contrail simply redefines them.
 */
export interface CompatFunction {
  /** BigQuery spelling as configs write it. */
  bigquery: string;
  /** What to call in DuckDB SQL (same name when the call needs no rewrite). */
  duckdb: string;
  /** `native`: DuckDB already accepts it; `macro`: a SQL macro; `udf`: a JS scalar function. */
  kind: 'native' | 'macro' | 'udf' | 'rewrite';
  /** What the SQL renderer must do to BigQuery text before DuckDB accepts it; null = nothing. */
  rewrite: string | null;
  /** Where DuckDB's result differs from BigQuery's or the call cannot be supported. */
  limitation: string | null;
}

export const BIGQUERY_COMPAT: readonly CompatFunction[] = [
  {
    bigquery: 'SAFE_DIVIDE(x, y)',
    duckdb: 'safe_divide',
    kind: 'macro',
    rewrite: null,
    limitation: null,
  },
  {
    bigquery: 'LOGICAL_OR(x)',
    duckdb: 'logical_or',
    kind: 'macro',
    rewrite: null,
    limitation: 'A macro over bool_or: DuckDB-only FILTER/ORDER BY clauses cannot be attached to it.',
  },
  {
    bigquery: 'LOGICAL_AND(x)',
    duckdb: 'logical_and',
    kind: 'macro',
    rewrite: null,
    limitation: 'A macro over bool_and: DuckDB-only FILTER/ORDER BY clauses cannot be attached to it.',
  },
  { bigquery: 'COUNTIF(x)', duckdb: 'countif', kind: 'native', rewrite: null, limitation: null },
  { bigquery: 'IF(c, a, b)', duckdb: 'if', kind: 'native', rewrite: null, limitation: null },
  { bigquery: 'IFNULL(a, b)', duckdb: 'ifnull', kind: 'native', rewrite: null, limitation: null },
  {
    bigquery: 'REGEXP_CONTAINS(value, regexp)',
    duckdb: 'regexp_contains',
    kind: 'macro',
    rewrite: null,
    limitation: 'STRING input only (not BYTES). Both engines use RE2 and match anywhere in the value.',
  },
  {
    bigquery: 'JSON_VALUE(json_string[, path]) / JSON_EXTRACT_SCALAR(json_string[, path])',
    duckdb: 'bq_json_value',
    kind: 'macro',
    rewrite:
      "Rename to bq_json_value, path '$' when none is given. DuckDB's json_value keeps a string's JSON quotes and " +
      "json_extract_string gives an object's or an array's JSON text, where BigQuery gives NULL.",
    limitation: 'Text that is not JSON raises (BigQuery gives NULL).',
  },
  {
    bigquery: 'JSON_EXTRACT_ARRAY(json_string[, path]) / JSON_QUERY(json_string, path)',
    duckdb: 'json_extract_array / json_query',
    kind: 'macro',
    rewrite: null,
    limitation:
      "The elements (and JSON_QUERY's value) as JSON text, strings keeping their quotes, as in BigQuery; NULL when the " +
      'path selects no array (no value), and for text that is not JSON.',
  },
  {
    bigquery: 'ARRAY_CONCAT_AGG(array)',
    duckdb: 'array_concat_agg',
    kind: 'macro',
    rewrite: null,
    limitation:
      'NULL arrays are skipped, NULL when none is left; ORDER BY / LIMIT inside the call are not supported.',
  },
  {
    bigquery: 'FORMAT_DATE(format, date) / PARSE_DATETIME(format, text)',
    duckdb: 'format_date / parse_datetime',
    kind: 'macro',
    rewrite: null,
    limitation:
      "strftime/strptime: the common elements (%Y %m %d %H %M %S %j %a %b …) are BigQuery's; BigQuery's own " +
      '(%E…, %Q, %J) are not. PARSE_DATETIME gives a TIMESTAMP (no time zone) here.',
  },
  {
    bigquery: 'CONTAINS_SUBSTR(text, search)',
    duckdb: 'contains_substr',
    kind: 'macro',
    rewrite: null,
    limitation:
      'STRING input only (not STRUCT/ARRAY/JSON). Case-insensitive after NFC normalisation (BigQuery: NFKC with case folding).',
  },
  {
    bigquery: 'SUBSTR(text, position[, length]) / SAFE.SUBSTR(…)',
    duckdb: 'bq_substr / bq_safe_substr',
    kind: 'macro',
    rewrite:
      "Rename SUBSTR/SUBSTRING to bq_substr and SAFE.SUBSTR to bq_safe_substr: DuckDB's substr reads position 0 as " +
      'the character before the first (SUBSTR(x, 0, 8) would give 7 characters) and a negative length backwards.',
    limitation: 'STRING input only (not BYTES). A negative length raises, as in BigQuery (NULL with SAFE.).',
  },
  {
    bigquery: 'DATE_ADD(date, INTERVAL n part)',
    duckdb: 'date_add',
    kind: 'macro',
    rewrite: null,
    limitation:
      "Shadows DuckDB's date_add (which returns a TIMESTAMP) so the result is a DATE as in BigQuery; " +
      'a DATETIME argument is truncated to a DATE. DuckDB-native SQL should write `d + INTERVAL …` instead.',
  },
  {
    bigquery: 'DATE_SUB(date, INTERVAL n part)',
    duckdb: 'date_sub',
    kind: 'macro',
    rewrite: null,
    limitation:
      "Shadows DuckDB's 3-argument date_sub(part, start, end) (use its alias `datesub` in DuckDB-native SQL); " +
      'a DATETIME argument is truncated to a DATE.',
  },
  {
    bigquery: 'DATE_DIFF(a, b, DAY)',
    duckdb: 'bq_date_diff',
    kind: 'macro',
    rewrite:
      "Rename DATE_DIFF to bq_date_diff and quote the date part: DATE_DIFF(a, b, WEEK) → bq_date_diff(a, b, 'WEEK'). " +
      "A bare DAY is a column reference to DuckDB, so no macro can receive it, and DuckDB's own date_diff(part, b, a) has the other argument order.",
    limitation:
      'Parts DAY, WEEK (Sunday-based), ISOWEEK, MONTH, QUARTER, YEAR; WEEK(<weekday>) is not supported.',
  },
  {
    bigquery: 'TIMESTAMP_DIFF(a, b, HOUR)',
    duckdb: 'bq_timestamp_diff',
    kind: 'macro',
    rewrite:
      "Rename TIMESTAMP_DIFF to bq_timestamp_diff and quote the part: TIMESTAMP_DIFF(a, b, HOUR) → bq_timestamp_diff(a, b, 'HOUR').",
    limitation:
      'Parts MICROSECOND, MILLISECOND, SECOND, MINUTE, HOUR, DAY (whole elapsed units, truncated toward zero).',
  },
  {
    bigquery: 'TIMESTAMP_ADD(ts, INTERVAL n part)',
    duckdb: 'timestamp_add',
    kind: 'macro',
    rewrite: null,
    limitation: null,
  },
  {
    bigquery: 'TIMESTAMP_SUB(ts, INTERVAL n part)',
    duckdb: 'timestamp_sub',
    kind: 'macro',
    rewrite: null,
    limitation: null,
  },
  {
    bigquery: 'FARM_FINGERPRINT(s)',
    duckdb: 'farm_fingerprint',
    kind: 'udf',
    rewrite: null,
    limitation:
      'STRING input only (not BYTES). A JS scalar function (farmhash-modern, WASM): exact BigQuery values but ' +
      '~1.4 s per million rows on this machine, so precompute hashes in tables rather than per query where you can.',
  },
  {
    bigquery: 'SAFE_CAST(x AS T)',
    duckdb: 'try_cast',
    kind: 'rewrite',
    rewrite: 'Rename SAFE_CAST to TRY_CAST (same syntax). `x AS T` inside a call cannot reach a macro.',
    limitation: null,
  },
  {
    bigquery: 'CAST(x AS FLOAT64) / CAST(x AS INT64)',
    duckdb: 'float64 / int64',
    kind: 'macro',
    rewrite: null,
    limitation:
      "FLOAT64 is a temp type alias of DOUBLE; INT64 is native in DuckDB. The renderer casts to NUMERIC as DECIMAL(38, 9) (DuckDB's NUMERIC is DECIMAL(18, 3)); BIGNUMERIC has no DuckDB equivalent.",
  },
  {
    bigquery: 'arr[OFFSET(i)] / arr[SAFE_OFFSET(i)] / arr[ORDINAL(i)] / arr[SAFE_ORDINAL(i)]',
    duckdb: 'bq_offset / bq_safe_offset / bq_ordinal / bq_safe_ordinal',
    kind: 'macro',
    rewrite:
      'The subscript becomes a call: arr[SAFE_OFFSET(i)] → bq_safe_offset(arr, (i)). DuckDB has no OFFSET/ORDINAL ' +
      'subscripts, and its own arr[i] counts from 1, counts from the end for a negative i and gives NULL out of range.',
    limitation:
      'OFFSET counts from 0, ORDINAL from 1; out of range OFFSET/ORDINAL raise "Array index i is out of bounds" and ' +
      'the SAFE_ forms give NULL; a NULL array or index gives NULL. A subscript of a windowed call is not rewritten.',
  },
  {
    bigquery: 'mozfun.map.get_key(map, key)',
    duckdb: 'mozfun.map.get_key',
    kind: 'macro',
    rewrite: null,
    limitation:
      'Maps are BigQuery-shaped: LIST of STRUCT(key, value), as the sample tables store them. ' +
      'mozfun functions not listed here (e.g. hist.merge, hist.percentiles) are not provided.',
  },
  {
    bigquery: "mozfun.norm.extract_version(version, 'major' | 'minor' | 'patch')",
    duckdb: 'mozfun.norm.extract_version',
    kind: 'macro',
    rewrite: null,
    limitation: "The number comes back as DECIMAL(38,9), BigQuery NUMERIC's precision.",
  },
  {
    bigquery: "mozfun.norm.truncate_version(version, 'major' | 'minor')",
    duckdb: 'mozfun.norm.truncate_version',
    kind: 'macro',
    rewrite: null,
    limitation: "The number comes back as DECIMAL(38,9), BigQuery NUMERIC's precision.",
  },
  {
    bigquery: 'mozfun.norm.os(os)',
    duckdb: 'mozfun.norm.os',
    kind: 'macro',
    rewrite: null,
    limitation: null,
  },
  {
    bigquery: 'mozfun.norm.windows_version_info(os, os_version, windows_build_number)',
    duckdb: 'mozfun.norm.windows_version_info',
    kind: 'macro',
    rewrite: null,
    limitation: null,
  },
  {
    bigquery: 'mozfun.norm.fenix_build_to_datetime(app_build)',
    duckdb: 'mozfun.norm.fenix_build_to_datetime',
    kind: 'macro',
    rewrite: null,
    limitation: 'A DATETIME in BigQuery, a TIMESTAMP (no time zone) here.',
  },
  {
    bigquery: 'mozfun.map.extract_keyed_scalar_sum(keyed_scalar)',
    duckdb: 'mozfun.map.extract_keyed_scalar_sum',
    kind: 'macro',
    rewrite: null,
    limitation: null,
  },
  {
    bigquery: 'mozfun.hist.extract(histogram)',
    duckdb: 'mozfun.hist.extract',
    kind: 'macro',
    rewrite: null,
    limitation:
      'STRUCT(bucket_count, histogram_type, sum, range, values) as in BigQuery; `values` is a LIST of STRUCT(key, value).',
  },
  {
    bigquery: 'mozfun.hist.threshold_count(histogram, threshold)',
    duckdb: 'mozfun.hist.threshold_count',
    kind: 'macro',
    rewrite: null,
    limitation: null,
  },
  {
    bigquery:
      'moz-fx-data-shared-prod.udf.{json_extract_histogram, get_key, histogram_to_threshold_count, histogram_max_key_with_nonzero_value, extract_histogram_sum, keyed_histogram_get_sum}',
    duckdb: 'udf.keyed_histogram_get_sum',
    kind: 'macro',
    rewrite: 'Calls naming the project (`moz-fx-data-shared-prod.udf.f`, `mozdata.udf.f`) become udf.f.',
    limitation:
      'udf.normalize_search_engine is not provided: its public definition is a stub and the real one is private.',
  },
];

/**
 * BigQuery built-in functions the embedded warehouse does not have (BIGQUERY_COMPAT lists those
 * it has), as DuckDB names them in "Scalar Function with name … does not exist".
 */
export const BIGQUERY_FUNCTIONS_NOT_ON_DUCKDB: readonly string[] = [
  'approx_quantiles',
  'approx_top_count',
  'approx_top_sum',
  'byte_length',
  'date_from_unix_date',
  'datetime_trunc',
  'format_datetime',
  'format_timestamp',
  'generate_date_array',
  'generate_timestamp_array',
  'json_extract_string_array',
  'json_query_array',
  'json_value_array',
  'parse_date',
  'parse_timestamp',
  'timestamp_micros',
  'timestamp_millis',
  'timestamp_seconds',
  'timestamp_trunc',
  'to_json_string',
  'unix_date',
  'unix_micros',
  'unix_millis',
  'unix_seconds',
];

/** JSON_EXTRACT_ARRAY's body: the array at `path` as JSON texts, NULL for no array or text that is not JSON. */
function jsonArray(j: string, path: string): string {
  return `CASE WHEN json_valid(${j}) AND json_type(${j}, ${path}) = 'ARRAY' THEN CAST(CAST(json_extract(${j}, ${path}) AS JSON[]) AS VARCHAR[]) END`;
}

/**
 * SQL creating the macros above. `bq_date_diff` WEEK counts Sunday boundaries (BigQuery's
 * weeks start on Sunday; 1970-01-04 was a Sunday), ISOWEEK Monday boundaries.
 */
const MACRO_SQL = [
  'CREATE OR REPLACE TEMP MACRO safe_divide(x, y) AS CASE WHEN y = 0 THEN NULL ELSE x / y END',
  'CREATE OR REPLACE TEMP MACRO logical_or(x) AS bool_or(x)',
  'CREATE OR REPLACE TEMP MACRO logical_and(x) AS bool_and(x)',
  // BigQuery's JSON functions on text: NULL for text that is not JSON (DuckDB's raise).
  `CREATE OR REPLACE TEMP MACRO json_extract_array(j) AS ${jsonArray('j', "'$'")}, (j, path) AS ${jsonArray('j', 'path')}`,
  // The scalar at the path without its JSON quotes; NULL for an object, an array or JSON null.
  "CREATE OR REPLACE TEMP MACRO bq_json_value(j, path) AS json_value(j, path) ->> '$'",
  'CREATE OR REPLACE TEMP MACRO json_query(j, path) AS CASE WHEN json_valid(j) THEN CAST(json_extract(j, path) AS VARCHAR) END',
  // BigQuery skips NULL arrays, and gives NULL (not []) when there is none.
  'CREATE OR REPLACE TEMP MACRO array_concat_agg(a) AS flatten(list(a) FILTER (WHERE a IS NOT NULL))',
  'CREATE OR REPLACE TEMP MACRO format_date(fmt, d) AS strftime(CAST(d AS DATE), fmt)',
  'CREATE OR REPLACE TEMP MACRO parse_datetime(fmt, text) AS strptime(text, fmt)',
  'CREATE OR REPLACE TEMP MACRO contains_substr(text, search) AS contains(lower(nfc_normalize(text)), lower(nfc_normalize(search)))',
  // BigQuery's SUBSTR: position 0 is the first character, a negative one counts from the end
  // (before the start: from the first), a negative length is an error (NULL with SAFE.).
  ...(['bq_substr', 'bq_safe_substr'] as const).map((name) => {
    const start =
      'CASE WHEN pos > 0 THEN pos WHEN pos = 0 THEN 1 WHEN pos < 0 THEN greatest(length(s) + pos + 1, 1) END';
    const negative =
      name === 'bq_substr'
        ? "error('Third argument in SUBSTR() cannot be negative')"
        : 'CAST(NULL AS VARCHAR)';
    return `CREATE OR REPLACE TEMP MACRO ${name}(s, pos) AS substr(s, ${start}),
      (s, pos, n) AS CASE WHEN n < 0 THEN ${negative} ELSE substr(s, ${start}, n) END`;
  }),
  // Both are RE2 partial matches: TRUE when the pattern matches anywhere in the value.
  'CREATE OR REPLACE TEMP MACRO regexp_contains(value, regexp) AS regexp_matches(value, regexp)',
  'CREATE OR REPLACE TEMP MACRO date_add(d, i) AS CAST(CAST(d AS DATE) + i AS DATE)',
  'CREATE OR REPLACE TEMP MACRO date_sub(d, i) AS CAST(CAST(d AS DATE) - i AS DATE)',
  `CREATE OR REPLACE TEMP MACRO bq_date_diff(a, b, part) AS CASE upper(part)
     WHEN 'DAY' THEN CAST(a AS DATE) - CAST(b AS DATE)
     WHEN 'WEEK' THEN CAST(floor((CAST(a AS DATE) - DATE '1970-01-04') / 7) - floor((CAST(b AS DATE) - DATE '1970-01-04') / 7) AS BIGINT)
     WHEN 'ISOWEEK' THEN CAST(floor((CAST(a AS DATE) - DATE '1970-01-05') / 7) - floor((CAST(b AS DATE) - DATE '1970-01-05') / 7) AS BIGINT)
     WHEN 'MONTH' THEN (year(CAST(a AS DATE)) * 12 + month(CAST(a AS DATE))) - (year(CAST(b AS DATE)) * 12 + month(CAST(b AS DATE)))
     WHEN 'QUARTER' THEN (year(CAST(a AS DATE)) * 4 + quarter(CAST(a AS DATE))) - (year(CAST(b AS DATE)) * 4 + quarter(CAST(b AS DATE)))
     WHEN 'YEAR' THEN year(CAST(a AS DATE)) - year(CAST(b AS DATE))
     ELSE error('bq_date_diff: unsupported date part ' || part || ' (DAY, WEEK, ISOWEEK, MONTH, QUARTER, YEAR)')
   END`,
  `CREATE OR REPLACE TEMP MACRO bq_timestamp_diff(a, b, part) AS
     (epoch_us(CAST(a AS TIMESTAMP)) - epoch_us(CAST(b AS TIMESTAMP))) // CASE upper(part)
       WHEN 'MICROSECOND' THEN 1
       WHEN 'MILLISECOND' THEN 1000
       WHEN 'SECOND' THEN 1000000
       WHEN 'MINUTE' THEN 60000000
       WHEN 'HOUR' THEN 3600000000
       WHEN 'DAY' THEN 86400000000
       ELSE error('bq_timestamp_diff: unsupported part ' || part || ' (MICROSECOND, MILLISECOND, SECOND, MINUTE, HOUR, DAY)')
     END`,
  // BigQuery's array subscripts (the DuckDB renderer turns `arr[OFFSET(i)]` into these calls).
  // DuckDB's arr[k] is 1-based, reads from the end for a negative k and gives NULL out of range,
  // so the bounds are tested here: an error for OFFSET/ORDINAL, NULL for the SAFE_ forms.
  ...(['offset', 'ordinal'] as const).flatMap((kind) => {
    const zero = kind === 'offset' ? 'i' : '(i - 1)';
    const inRange = `${zero} >= 0 AND ${zero} < len(arr)`;
    return [
      `CREATE OR REPLACE TEMP MACRO bq_${kind}(arr, i) AS CASE
         WHEN ${inRange} THEN arr[${zero} + 1]
         WHEN arr IS NULL OR i IS NULL THEN NULL
         ELSE error('Array index ' || i || ' is out of bounds (' || CASE WHEN ${zero} < 0 THEN 'underflow' ELSE 'overflow' END || ')')
       END`,
      `CREATE OR REPLACE TEMP MACRO bq_safe_${kind}(arr, i) AS CASE WHEN ${inRange} THEN arr[${zero} + 1] END`,
    ];
  }),
  'CREATE OR REPLACE TEMP MACRO timestamp_add(ts, i) AS CAST(ts AS TIMESTAMP) + i',
  'CREATE OR REPLACE TEMP MACRO timestamp_sub(ts, i) AS CAST(ts AS TIMESTAMP) - i',
  'CREATE TEMP TYPE IF NOT EXISTS float64 AS DOUBLE',
  // BigQuery's mozfun project, as a catalog of its own so `mozfun.map.get_key(…)` resolves.
  "ATTACH IF NOT EXISTS ':memory:' AS mozfun",
  'CREATE SCHEMA IF NOT EXISTS mozfun.map',
  `CREATE OR REPLACE MACRO mozfun.map.get_key(m, k) AS
     list_extract(list_transform(list_filter(m, lambda e: e.key = k), lambda e: e.value), 1)`,
  // mozfun's norm.extract_version: one part of a dotted version, NULL when the version has no such
  // part (DuckDB's regexp_extract gives '' where BigQuery's REGEXP_EXTRACT gives NULL).
  'CREATE SCHEMA IF NOT EXISTS mozfun.norm',
  `CREATE OR REPLACE MACRO mozfun.norm.extract_version(version_string, extraction_level) AS
     CAST(NULLIF(regexp_extract(version_string, CASE extraction_level
       WHEN 'patch' THEN '^[0-9]+[.][0-9]+[.]([0-9]+).*'
       WHEN 'minor' THEN '^[0-9]+[.]([0-9]+).*'
       WHEN 'major' THEN '^([0-9]+).*'
     END, 1), '') AS DECIMAL(38, 9))`,
  // mozfun's norm.truncate_version: the major or major.minor prefix of a version as a NUMERIC.
  `CREATE OR REPLACE MACRO mozfun.norm.truncate_version(os_version, truncation_level) AS
     CAST(NULLIF(regexp_extract(os_version, CASE truncation_level
       WHEN 'minor' THEN '^([0-9]+[.]?[0-9]+).*'
       WHEN 'major' THEN '^([0-9]+).*'
     END, 1), '') AS DECIMAL(38, 9))`,
  // mozfun's norm.os: the ingestion pipeline's normalisation of an OS name.
  `CREATE OR REPLACE MACRO mozfun.norm.os(os) AS CASE
     WHEN os LIKE 'Windows%' OR os LIKE 'WINNT%' THEN 'Windows'
     WHEN os LIKE 'Darwin%' THEN 'Mac'
     WHEN os LIKE '%Linux%' OR os LIKE '%BSD%' OR os LIKE '%SunOS%' OR os LIKE '%Solaris%' THEN 'Linux'
     WHEN os LIKE 'iOS%' OR os LIKE '%iPhone%' THEN 'iOS'
     WHEN os LIKE 'Android%' THEN 'Android'
     ELSE 'Other'
   END`,
  `CREATE OR REPLACE MACRO mozfun.norm.windows_version_info(os, os_version, windows_build_number) AS CASE
     WHEN os NOT LIKE 'Windows%' THEN NULL
     WHEN os = 'Windows_95' THEN 'Windows 95'
     WHEN os = 'Windows_98' THEN 'Windows 98'
     WHEN os_version = '4.0' AND os = 'Windows_NT' THEN 'Windows NT 4.0'
     WHEN os_version = '5.0' THEN 'Windows 2000'
     WHEN os_version = '5.1' OR os_version = '5.2' THEN 'Windows XP'
     WHEN os_version = '6.0' THEN 'Windows Vista'
     WHEN os_version = '6.1' THEN 'Windows 7'
     WHEN os_version = '6.2' THEN 'Windows 8'
     WHEN os_version = '6.3' THEN 'Windows 8.1'
     WHEN os_version = '10.0' AND windows_build_number >= 22000 THEN 'Windows 11'
     WHEN os_version = '10.0' AND windows_build_number < 22000 THEN 'Windows 10'
     WHEN os_version = '10.0' AND windows_build_number IS NULL THEN 'Windows 10 or 11'
     ELSE CAST(NULL AS VARCHAR)
   END`,
  // mozfun's norm.fenix_build_to_datetime: the build time encoded in a Fenix app_build, as a
  // DATETIME (a TIMESTAMP here). Eight digits are "YDDDHHMM" (year since 2018, day of year, hour,
  // minute); ten digits are an integer whose bits 3..19 count hours since 2014-12-28. BigQuery
  // erases the high bits with `<< 44 >> 44` (its >> fills with zeros); DuckDB's << raises on overflow,
  // so the same low 20 bits are kept with a mask.
  `CREATE OR REPLACE MACRO mozfun.norm.fenix_build_to_datetime(app_build) AS CASE
     WHEN length(app_build) = 8 AND substr(app_build, 5, 2) < '24' AND substr(app_build, 7, 2) < '60'
       THEN make_timestamp(
              2018 + TRY_CAST(substr(app_build, 1, 1) AS BIGINT), 1, 1,
              TRY_CAST(substr(app_build, 5, 2) AS BIGINT), TRY_CAST(substr(app_build, 7, 2) AS BIGINT), 0)
            + to_days(CAST(TRY_CAST(substr(app_build, 2, 3) AS BIGINT) - 1 AS INTEGER))
     WHEN length(app_build) = 10
       THEN TIMESTAMP '2014-12-28 00:00:00' + to_hours((TRY_CAST(app_build AS BIGINT) & 1048575) >> 3)
     ELSE CAST(NULL AS TIMESTAMP)
   END`,
  // mozfun's map.extract_keyed_scalar_sum: the sum of a keyed scalar's values, NULL when none.
  'CREATE OR REPLACE MACRO mozfun.map.extract_keyed_scalar_sum(keyed_scalar) AS ' +
    'CAST(list_sum(list_transform(keyed_scalar, lambda e: e.value)) AS BIGINT)',
  // mozfun's hist.extract: a histogram in the classic JSON form or one of the compact string forms
  // ("bucket_count;type;sum;lo,hi;k:v,k:v", "n0,n1" boolean, "n" count) as one STRUCT shape.
  // The JSON form's values are read as json.extract_int_map does: the map's text split on
  // commas and colons, with keys or values that do not fit an INT64 becoming NULL.
  'CREATE SCHEMA IF NOT EXISTS mozfun.hist',
  `CREATE OR REPLACE MACRO mozfun.hist.extract(input) AS CASE
     WHEN starts_with(trim(input), '{') THEN {
       'bucket_count': CAST(json_extract_string(input, '$.bucket_count') AS BIGINT),
       'histogram_type': CAST(json_extract_string(input, '$.histogram_type') AS BIGINT),
       'sum': CAST(json_extract_string(input, '$.sum') AS BIGINT),
       'range': coalesce(CAST(json_extract(input, '$.range') AS BIGINT[]), CAST([] AS BIGINT[])),
       'values': coalesce(list_transform(
         list_filter(string_split(replace(trim(CAST(json_extract(input, '$.values') AS VARCHAR), '{}'), '"', ''), ','),
           lambda e: length(e) > 0),
         lambda e: {'key': TRY_CAST(split_part(e, ':', 1) AS BIGINT), 'value': TRY_CAST(split_part(e, ':', 2) AS BIGINT)}),
         CAST([] AS STRUCT("key" BIGINT, "value" BIGINT)[]))
     }
     WHEN len(string_split(input, ';')) = 5 THEN {
       'bucket_count': CAST(string_split(input, ';')[1] AS BIGINT),
       'histogram_type': CAST(string_split(input, ';')[2] AS BIGINT),
       'sum': CAST(string_split(input, ';')[3] AS BIGINT),
       'range': list_transform(string_split(string_split(input, ';')[4], ','), lambda b: CAST(b AS BIGINT)),
       'values': list_transform(
         list_filter(string_split(string_split(input, ';')[5], ','), lambda e: length(e) >= 3),
         lambda e: {'key': CAST(split_part(e, ':', 1) AS BIGINT), 'value': CAST(split_part(e, ':', 2) AS BIGINT)})
     }
     WHEN len(string_split(input, ',')) = 2 THEN {
       'bucket_count': CAST(3 AS BIGINT),
       'histogram_type': CAST(2 AS BIGINT),
       'sum': CAST(string_split(input, ',')[2] AS BIGINT),
       'range': CAST([1, 2] AS BIGINT[]),
       'values': [
         {'key': CAST(0 AS BIGINT), 'value': CAST(string_split(input, ',')[1] AS BIGINT)},
         {'key': CAST(1 AS BIGINT), 'value': CAST(string_split(input, ',')[2] AS BIGINT)},
         {'key': CAST(2 AS BIGINT), 'value': CAST(0 AS BIGINT)}]
     }
     WHEN len(string_split(input, ',')) = 1 THEN {
       'bucket_count': CAST(3 AS BIGINT),
       'histogram_type': CAST(4 AS BIGINT),
       'sum': CAST(input AS BIGINT),
       'range': CAST([1, 2] AS BIGINT[]),
       'values': [
         {'key': CAST(0 AS BIGINT), 'value': CAST(input AS BIGINT)},
         {'key': CAST(1 AS BIGINT), 'value': CAST(0 AS BIGINT)}]
     }
   END`,
  // mozfun's hist.threshold_count: observations in buckets whose key is at least the threshold.
  `CREATE OR REPLACE MACRO mozfun.hist.threshold_count(histogram, threshold) AS coalesce(CAST(list_sum(
     list_transform(list_filter(mozfun.hist.extract(histogram).values, lambda e: e.key >= threshold), lambda e: e.value))
     AS BIGINT), 0)`,
  // The shared project's legacy `udf` dataset (`moz-fx-data-shared-prod.udf.…` in configs, which
  // the DuckDB renderer calls as udf.…): those that real configs call and whose definitions are
  // public. Most are mozfun's functions under their older names.
  "ATTACH IF NOT EXISTS ':memory:' AS udf",
  'CREATE OR REPLACE MACRO udf.main.json_extract_histogram(input) AS mozfun.hist.extract(input)',
  'CREATE OR REPLACE MACRO udf.main.get_key(m, k) AS mozfun.map.get_key(m, k)',
  'CREATE OR REPLACE MACRO udf.main.histogram_to_threshold_count(histogram, threshold) AS mozfun.hist.threshold_count(histogram, threshold)',
  `CREATE OR REPLACE MACRO udf.main.histogram_max_key_with_nonzero_value(histogram) AS
     list_max(list_transform(list_filter(mozfun.hist.extract(histogram).values, lambda e: e.value > 0), lambda e: e.key))`,
  // The sum of any histogram encoding hist.extract reads; BigQuery's JSON_EXTRACT_SCALAR gives NULL
  // for text that is not JSON, where DuckDB's json_extract_string raises.
  `CREATE OR REPLACE MACRO udf.main.extract_histogram_sum(input) AS TRY_CAST(coalesce(
     CASE WHEN json_valid(input) THEN json_extract_string(input, '$.sum') END,
     string_split(input, ';')[3], string_split(input, ',')[2], input) AS BIGINT)`,
  `CREATE OR REPLACE MACRO udf.main.keyed_histogram_get_sum(keyed_histogram, target_key) AS
     udf.main.extract_histogram_sum(mozfun.map.get_key(keyed_histogram, target_key))`,
];

/** Installs the BigQuery-compatible functions on one connection (macros are connection-local). */
export async function installBigQueryCompat(connection: DuckDBConnection): Promise<void> {
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: 'farm_fingerprint',
      returnType: BIGINT,
      parameterTypes: [VARCHAR],
      mainFunction: (_info, input, output) => {
        const values = input.getColumnVector(0);
        for (let row = 0; row < input.rowCount; row++) {
          const value = values.getItem(row);
          output.setItem(row, typeof value === 'string' ? bigqueryFingerprint(value) : null);
        }
        output.flush();
      },
    }),
  );
  // One round trip: every job on the embedded file opens a connection and installs these anew.
  await connection.run(MACRO_SQL.join(';\n'));
}
