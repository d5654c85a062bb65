/**
 * BigQuery functions that metric-hub SQL uses and DuckDB lacks (or spells differently),
 * installed on every DuckDB warehouse connection (bigquery-compat-install.ts) so config select
 * expressions run unchanged where DuckDB's grammar allows it. This list is the single place the SQL renderer reads to
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

/** The most arguments bq_least, bq_greatest and bq_concat take (one macro overload each). */
export const NULL_STRICT_MAX_ARGS = 12;

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
  {
    bigquery: 'LEAST(a, …) / GREATEST(a, …) / CONCAT(a, …)',
    duckdb: 'bq_least / bq_greatest / bq_concat',
    kind: 'macro',
    rewrite:
      "Rename to bq_least, bq_greatest, bq_concat: BigQuery's are NULL when any argument is NULL, DuckDB's skip " +
      "NULL arguments (LEAST(1, NULL) would be 1, CONCAT('a', NULL) 'a').",
    limitation: `Up to ${NULL_STRICT_MAX_ARGS} arguments; a call with more keeps DuckDB's NULL handling.`,
  },
  {
    bigquery: 'EXTRACT(DAYOFWEEK | WEEK | ISOWEEK | MILLISECOND | MICROSECOND FROM x)',
    duckdb: 'bq_week',
    kind: 'macro',
    rewrite:
      'DAYOFWEEK → (EXTRACT(DAYOFWEEK FROM x) + 1) (DuckDB counts Sunday as 0, BigQuery as 1); WEEK → bq_week(x) ' +
      "(BigQuery's Sunday weeks, 0 before the first Sunday; DuckDB's WEEK is ISO); ISOWEEK → WEEK; MILLISECOND / " +
      'MICROSECOND → % 1000 / % 1000000 (DuckDB counts the seconds too).',
    limitation: 'WEEK(<weekday>) is not supported.',
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
    bigquery:
      'REGEXP_REPLACE(value, regexp, replacement) / REGEXP_EXTRACT(value, regexp) / REGEXP_EXTRACT_ALL(value, regexp)',
    duckdb: 'bq_regexp_replace / bq_regexp_extract / bq_regexp_extract_all',
    kind: 'macro',
    rewrite:
      'Rename to the bq_ macros; REGEXP_EXTRACT(_ALL) get the group to return (1 when the pattern has a capturing group, ' +
      "else 0). DuckDB's regexp_replace replaces the first match only, and its regexp_extract gives the whole match, " +
      "'' for no match (BigQuery: every match; the group; NULL).",
    limitation:
      'REGEXP_EXTRACT with a pattern that is not a string literal, or with position / occurrence arguments, keeps ' +
      "DuckDB's reading; a group that takes no part in the match gives '' (BigQuery: NULL).",
  },
  {
    bigquery: 'FORMAT(format_string, …)',
    duckdb: 'printf',
    kind: 'rewrite',
    rewrite:
      "Rename FORMAT to printf: DuckDB's format takes {} placeholders and returns a '%d' format unchanged; its " +
      "printf reads BigQuery's %d %s %f %e %g %x %o %% with their flags, width and precision.",
    limitation:
      "BigQuery's %t / %T (a value's SQL text) and the ' grouping flag are not supported (an error).",
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
    bigquery: 'DATE_TRUNC(date, WEEK)',
    duckdb: 'bq_date_trunc',
    kind: 'macro',
    rewrite:
      "Rename DATE_TRUNC to bq_date_trunc and quote the part: DATE_TRUNC(d, WEEK) → bq_date_trunc(d, 'WEEK'). " +
      "DuckDB's own date_trunc takes the part first and starts weeks on Monday (BigQuery: Sunday).",
    limitation:
      'Parts DAY, WEEK (Sunday), ISOWEEK, MONTH, QUARTER, YEAR, ISOYEAR; WEEK(<weekday>) is not supported. ' +
      'The result is a DATE, also for a TIMESTAMP argument.',
  },
  {
    bigquery: 'DIV(x, y)',
    duckdb: 'div',
    kind: 'macro',
    rewrite: null,
    limitation: 'Truncates toward zero; a zero divisor raises "division by zero", as in BigQuery.',
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
    bigquery:
      'CAST(x AS T) / SAFE_CAST(x AS T) for T in INT64 (and its aliases), FLOAT64, NUMERIC, BOOL, DATE',
    duckdb: 'bq_cast_int64 / bq_safe_cast_int64 (… _float64, _numeric, _bool, _date)',
    kind: 'macro',
    rewrite:
      "CAST(x AS INT64) → bq_cast_int64(x), SAFE_CAST(x AS INT64) → bq_safe_cast_int64(x): DuckDB's casts read " +
      "text BigQuery refuses ('1.5' as INT64 2, 'yes' as BOOL TRUE, '2024-01-05 10:00' as a DATE) and round a " +
      'FLOAT64 2.5 to INT64 2 (BigQuery: 3). Any other SAFE_CAST becomes TRY_CAST.',
    limitation:
      "Text is read by BigQuery's rules; a CAST that fails raises BigQuery's message (Bad int64 value: …). " +
      "A FORMAT clause or a parameterised type (NUMERIC(10, 2)) keeps DuckDB's cast.",
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
