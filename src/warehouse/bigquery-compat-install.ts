import { BIGINT, type DuckDBConnection, DuckDBScalarFunction, VARCHAR } from '@duckdb/node-api';
import { bigqueryFingerprint } from 'farmhash-modern';
import { NULL_STRICT_MAX_ARGS } from './bigquery-compat.js';
import { CAST_MACRO_SQL } from './bigquery-compat-casts.js';

/**
 * The BigQuery-compatible functions of bigquery-compat.ts as DuckDB creates them: the macros'
 * SQL and the one JavaScript function (FARM_FINGERPRINT), installed on every connection to the
 * embedded warehouse.
 */

/** JSON_EXTRACT_ARRAY's body: the array at `path` as JSON texts, NULL for no array or text that is not JSON. */
function jsonArray(j: string, path: string): string {
  return `CASE WHEN json_valid(${j}) AND json_type(${j}, ${path}) = 'ARRAY' THEN CAST(CAST(json_extract(${j}, ${path}) AS JSON[]) AS VARCHAR[]) END`;
}

/**
 * SQL creating the macros of BIGQUERY_COMPAT. `bq_date_diff` WEEK counts Sunday boundaries (BigQuery's
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
  // BigQuery's REGEXP_REPLACE replaces every match; its REGEXP_EXTRACT(_ALL) give capturing group g
  // (the renderer passes 1 when the pattern has one, else 0), and NULL when nothing matches.
  "CREATE OR REPLACE TEMP MACRO bq_regexp_replace(s, p, r) AS regexp_replace(s, p, r, 'g')",
  'CREATE OR REPLACE TEMP MACRO bq_regexp_extract(s, p, g) AS CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p, g) END',
  'CREATE OR REPLACE TEMP MACRO bq_regexp_extract_all(s, p, g) AS regexp_extract_all(s, p, g)',
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
  // BigQuery's DATE_TRUNC: WEEK starts on Sunday (DuckDB's date_trunc week is the ISO week).
  `CREATE OR REPLACE TEMP MACRO bq_date_trunc(d, part) AS CASE upper(part)
     WHEN 'DAY' THEN CAST(d AS DATE)
     WHEN 'WEEK' THEN CAST(d AS DATE) - CAST(dayofweek(CAST(d AS DATE)) AS INTEGER)
     WHEN 'ISOWEEK' THEN CAST(date_trunc('week', CAST(d AS DATE)) AS DATE)
     WHEN 'MONTH' THEN CAST(date_trunc('month', CAST(d AS DATE)) AS DATE)
     WHEN 'QUARTER' THEN CAST(date_trunc('quarter', CAST(d AS DATE)) AS DATE)
     WHEN 'YEAR' THEN CAST(date_trunc('year', CAST(d AS DATE)) AS DATE)
     WHEN 'ISOYEAR' THEN CAST(date_trunc('week', make_date(CAST(isoyear(CAST(d AS DATE)) AS BIGINT), 1, 4)) AS DATE)
     ELSE error('bq_date_trunc: unsupported date part ' || part || ' (DAY, WEEK, ISOWEEK, MONTH, QUARTER, YEAR, ISOYEAR)')
   END`,
  // BigQuery's DIV: integer division truncated toward zero, an error for a zero divisor (DuckDB's //
  // gives NULL there, and divides a DECIMAL without truncating).
  `CREATE OR REPLACE TEMP MACRO div(x, y) AS CASE
     WHEN y = 0 THEN error('division by zero: ' || x || ' / ' || y)
     WHEN typeof(x) LIKE 'DECIMAL%' OR typeof(y) LIKE 'DECIMAL%' THEN CAST(trunc(x / y) AS DECIMAL(38, 9))
     ELSE x // y
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
  // EXTRACT(WEEK FROM d) as BigQuery counts it: weeks start on Sunday, days before the year's
  // first Sunday are week 0 (DuckDB's dayofweek counts Sunday as 0).
  'CREATE OR REPLACE TEMP MACRO bq_week(d) AS CAST((dayofyear(d) + 6 - dayofweek(d)) // 7 AS BIGINT)',
  'CREATE OR REPLACE TEMP MACRO timestamp_add(ts, i) AS CAST(ts AS TIMESTAMP) + i',
  'CREATE OR REPLACE TEMP MACRO timestamp_sub(ts, i) AS CAST(ts AS TIMESTAMP) - i',
  // BigQuery's LEAST, GREATEST and CONCAT are NULL when any argument is; DuckDB's skip NULLs
  // (LEAST(1, NULL) is 1). One overload per argument count: DuckDB macros take no varargs.
  ...(['least', 'greatest', 'concat'] as const).map((name) => {
    const overloads = Array.from({ length: NULL_STRICT_MAX_ARGS }, (_, n) => {
      const args = Array.from({ length: n + 1 }, (_, k) => `a${k}`);
      return `(${args.join(', ')}) AS CASE WHEN ${args.map((a) => `${a} IS NULL`).join(' OR ')} THEN NULL ELSE ${name}(${args.join(', ')}) END`;
    });
    return `CREATE OR REPLACE TEMP MACRO bq_${name}${overloads.join(', ')}`;
  }),
  'CREATE TEMP TYPE IF NOT EXISTS float64 AS DOUBLE',
  ...CAST_MACRO_SQL,
  // BigQuery's mozfun project, as a catalog of its own so `mozfun.map.get_key(…)` resolves;
  // writable even where the database is opened read-only (which every catalog would be otherwise).
  "ATTACH IF NOT EXISTS ':memory:' AS mozfun (READ_WRITE)",
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
  "ATTACH IF NOT EXISTS ':memory:' AS udf (READ_WRITE)",
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
