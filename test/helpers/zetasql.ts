import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ZetaSQLClient } from '@fivetrandevelopers/zetasql';
import type { BigQueryField } from './bigquery-schema.js';
import { freePort, retriedWhenPortTaken, type ServerProcess, startServerProcess } from './processes-net.js';

/**
 * The GoogleSQL analyzer (ZetaSQL's local service, shipped prebuilt in the npm package
 * `@fivetrandevelopers/zetasql`) on a free loopback port, with a catalog of BigQuery tables and
 * `mozfun` functions. Analysing a query resolves every name, function signature and type the way
 * BigQuery does, without running it; each analysed query's output columns can be registered as
 * the table it writes, so a plan is checked in run order.
 */

// Proto messages are plain objects for the gRPC client; only the fields used here are typed.
export interface TypeProto {
  typeKind: string | number;
  arrayType?: { elementType: TypeProto };
  structType?: { field: { fieldName: string; fieldType: TypeProto }[] };
}

interface ColumnProto {
  name: string;
  type: TypeProto;
}

interface FunctionArgument {
  kind: string;
  type?: TypeProto;
  options: { cardinality: string };
  numOccurrences: number;
}

interface FunctionProto {
  namePath: string[];
  group: string;
  mode: string;
  signature: { argument: FunctionArgument[]; returnType: FunctionArgument }[];
  templatedSqlFunctionArgumentName?: string[];
  parseResumeLocation?: { input: string; bytePosition: number };
}

interface CatalogProto {
  name: string;
  namedType?: { name: string; type: TypeProto }[];
  table?: { name: string; column: ColumnProto[] }[];
  catalog?: CatalogProto[];
  customFunction?: FunctionProto[];
  builtinFunctionOptions?: unknown;
}

/** GoogleSQL features BigQuery has (BigQuery's documented SQL, as the analyzer names it). */
const BIGQUERY_FEATURES = [
  'FEATURE_ANALYTIC_FUNCTIONS',
  'FEATURE_NUMERIC_TYPE',
  'FEATURE_BIGNUMERIC_TYPE',
  'FEATURE_JSON_TYPE',
  'FEATURE_JSON_VALUE_EXTRACTION_FUNCTIONS',
  'FEATURE_JSON_LAX_VALUE_EXTRACTION_FUNCTIONS',
  'FEATURE_JSON_ARRAY_FUNCTIONS',
  'FEATURE_INTERVAL_TYPE',
  'FEATURE_GEOGRAPHY',
  'FEATURE_TABLESAMPLE',
  'FEATURE_NAMED_ARGUMENTS',
  'FEATURE_TEMPLATE_FUNCTIONS',
  'FEATURE_TABLE_VALUED_FUNCTIONS',
  'FEATURE_GROUP_BY_ROLLUP',
  'FEATURE_INVERSE_TRIG_FUNCTIONS',
  'FEATURE_CBRT_FUNCTIONS',
  'FEATURE_ROUND_WITH_ROUNDING_MODE',
  'FEATURE_TIMESTAMP_NANOS',
  'FEATURE_V_1_1_WITH_ON_SUBQUERY',
  'FEATURE_V_1_2_GROUP_BY_STRUCT',
  'FEATURE_V_1_1_HAVING_IN_AGGREGATE',
  'FEATURE_V_1_1_LIMIT_IN_AGGREGATE',
  'FEATURE_V_1_1_NULL_HANDLING_MODIFIER_IN_AGGREGATE',
  'FEATURE_V_1_1_NULL_HANDLING_MODIFIER_IN_ANALYTIC',
  'FEATURE_V_1_1_ORDER_BY_IN_AGGREGATE',
  'FEATURE_V_1_1_SELECT_STAR_EXCEPT_REPLACE',
  'FEATURE_V_1_2_CIVIL_TIME',
  'FEATURE_V_1_2_SAFE_FUNCTION_CALL',
  'FEATURE_V_1_2_WEEK_WITH_WEEKDAY',
  'FEATURE_V_1_3_ADDITIONAL_STRING_FUNCTIONS',
  'FEATURE_V_1_3_ALLOW_DASHES_IN_TABLE_NAME',
  'FEATURE_V_1_3_ALLOW_REGEXP_EXTRACT_OPTIONALS',
  'FEATURE_V_1_3_CONCAT_MIXED_TYPES',
  'FEATURE_V_1_3_DATE_ARITHMETICS',
  'FEATURE_V_1_3_DATE_TIME_CONSTRUCTORS',
  'FEATURE_V_1_3_DECIMAL_ALIAS',
  'FEATURE_V_1_3_EXTENDED_DATE_TIME_SIGNATURES',
  'FEATURE_V_1_3_FORMAT_IN_CAST',
  'FEATURE_V_1_3_IS_DISTINCT',
  'FEATURE_V_1_3_LIKE_ANY_SOME_ALL',
  'FEATURE_V_1_3_NULLS_FIRST_LAST_IN_ORDER_BY',
  'FEATURE_V_1_3_PIVOT',
  'FEATURE_V_1_3_QUALIFY',
  'FEATURE_V_1_3_UNNEST_AND_FLATTEN_ARRAYS',
  'FEATURE_V_1_3_UNPIVOT',
  'FEATURE_V_1_3_WITH_RECURSIVE',
];

const LANGUAGE_OPTIONS = {
  nameResolutionMode: 'NAME_RESOLUTION_DEFAULT',
  productMode: 'PRODUCT_EXTERNAL',
  enabledLanguageFeatures: BIGQUERY_FEATURES,
  supportedStatementKinds: [
    'RESOLVED_QUERY_STMT',
    'RESOLVED_CREATE_TABLE_AS_SELECT_STMT',
    'RESOLVED_CREATE_VIEW_STMT',
  ],
  reservedKeywords: ['QUALIFY'],
};

/** BigQuery's aliases of its type names (`CAST(x AS INT)`), which the analyzer itself does not know. */
const TYPE_ALIASES = [
  ...['INT', 'INTEGER', 'BIGINT', 'SMALLINT', 'TINYINT', 'BYTEINT'].map((name) => ({
    name,
    type: { typeKind: 'TYPE_INT64' },
  })),
  { name: 'DECIMAL', type: { typeKind: 'TYPE_NUMERIC' } },
  { name: 'BIGDECIMAL', type: { typeKind: 'TYPE_BIGNUMERIC' } },
];

const SCALAR_KINDS: Record<Exclude<BigQueryField['type'], 'RECORD'>, string> = {
  STRING: 'TYPE_STRING',
  BYTES: 'TYPE_BYTES',
  INT64: 'TYPE_INT64',
  FLOAT64: 'TYPE_DOUBLE',
  NUMERIC: 'TYPE_NUMERIC',
  BOOL: 'TYPE_BOOL',
  DATE: 'TYPE_DATE',
  DATETIME: 'TYPE_DATETIME',
  TIMESTAMP: 'TYPE_TIMESTAMP',
  JSON: 'TYPE_JSON',
};

export function typeOfField(field: BigQueryField): TypeProto {
  const element: TypeProto =
    field.type === 'RECORD'
      ? {
          typeKind: 'TYPE_STRUCT',
          structType: {
            field: (field.fields ?? []).map((f) => ({ fieldName: f.name, fieldType: typeOfField(f) })),
          },
        }
      : { typeKind: SCALAR_KINDS[field.type] };
  return field.mode === 'REPEATED'
    ? { typeKind: 'TYPE_ARRAY', arrayType: { elementType: element } }
    : element;
}

/** A GoogleSQL type written as BigQuery DDL spells it (for function signatures). */
export function scalarType(name: Exclude<BigQueryField['type'], 'RECORD'>): TypeProto {
  return { typeKind: SCALAR_KINDS[name] };
}

/** The analyzer's own output types carry explicit nulls; the request encoder wants them absent. */
function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutNulls) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutNulls(v);
    return out as T;
  }
  return value;
}

/** A mozfun (or other persistent) UDF: a fixed signature, or a templated SQL body over ANY TYPE arguments. */
export type UdfDefinition =
  | { path: string[]; arguments: TypeProto[]; returns: TypeProto }
  | { path: string[]; templatedArguments: string[]; body: string };

function functionProto(udf: UdfDefinition): FunctionProto {
  const required = (type?: TypeProto): FunctionArgument =>
    type
      ? { kind: 'ARG_TYPE_FIXED', type, options: { cardinality: 'REQUIRED' }, numOccurrences: 1 }
      : { kind: 'ARG_TYPE_ARBITRARY', options: { cardinality: 'REQUIRED' }, numOccurrences: 1 };
  if ('body' in udf) {
    return {
      namePath: udf.path,
      group: 'Templated_SQL_Function',
      mode: 'SCALAR',
      signature: [{ argument: udf.templatedArguments.map(() => required()), returnType: required() }],
      templatedSqlFunctionArgumentName: udf.templatedArguments,
      parseResumeLocation: { input: udf.body, bytePosition: 0 },
    };
  }
  return {
    namePath: udf.path,
    group: 'UDF',
    mode: 'SCALAR',
    signature: [{ argument: udf.arguments.map(required), returnType: required(udf.returns) }],
  };
}

/** Tables by full name (`project.dataset.table`) and UDFs; turned into nested catalogs on registration. */
export class AnalyzerCatalog {
  private readonly tables = new Map<string, ColumnProto[]>();
  private readonly udfs: UdfDefinition[] = [];

  addTable(fullName: string, columns: ColumnProto[]): void {
    if (fullName.split('.').length !== 3)
      throw new Error(`table ${fullName}: expected project.dataset.table`);
    this.tables.set(fullName, columns);
  }

  addBigQueryTable(fullName: string, fields: BigQueryField[]): void {
    this.addTable(
      fullName,
      fields.map((f) => ({ name: f.name, type: typeOfField(f) })),
    );
  }

  addUdf(udf: UdfDefinition): void {
    this.udfs.push(udf);
  }

  hasTable(fullName: string): boolean {
    return this.tables.has(fullName);
  }

  /**
   * Each table both nested (project › dataset › table, for `project.dataset.table` written in
   * parts) and under its dotted name at the root (a backtick-quoted `a.b.c` is one identifier).
   */
  toProto(): CatalogProto {
    const root: CatalogProto = {
      name: 'root',
      builtinFunctionOptions: { languageOptions: LANGUAGE_OPTIONS },
      table: [],
      catalog: [],
      namedType: TYPE_ALIASES,
    };
    const child = (parent: CatalogProto, name: string): CatalogProto => {
      parent.catalog ??= [];
      let found = parent.catalog.find((c) => c.name === name);
      if (!found) {
        found = { name, catalog: [], table: [], customFunction: [] };
        parent.catalog.push(found);
      }
      return found;
    };
    for (const [fullName, column] of this.tables) {
      const [project, dataset, table] = fullName.split('.') as [string, string, string];
      root.table?.push({ name: fullName, column });
      child(child(root, project), dataset).table?.push({ name: table, column });
      // `dataset.table` inside a project is also one backticked identifier.
      child(root, project).table?.push({ name: `${dataset}.${table}`, column });
    }
    for (const udf of this.udfs) {
      // `mozfun.map.get_key` in backticks is one identifier, as configs often write it.
      root.customFunction ??= [];
      root.customFunction.push({ ...functionProto(udf), namePath: [udf.path.join('.')] });
      let catalog = root;
      for (const part of udf.path.slice(0, -1)) catalog = child(catalog, part);
      catalog.customFunction ??= [];
      catalog.customFunction.push(functionProto(udf));
    }
    return root;
  }
}

export interface AnalysisFailure {
  message: string;
}

export interface Analyzer {
  /** Registers the catalog (again after tables were added); later analyses use it. */
  register(catalog: AnalyzerCatalog): Promise<void>;
  /** The output columns of a query, or the analyzer's error (BigQuery's wording, with position). */
  analyze(sql: string): Promise<{ columns: ColumnProto[] } | AnalysisFailure>;
  stop(): Promise<void>;
}

function binaryPath(): string {
  const require = createRequire(import.meta.url);
  const lib = dirname(require.resolve('@fivetrandevelopers/zetasql'));
  const suffix = (process.arch === 'arm64' ? '_arm' : '') + (process.platform === 'darwin' ? '' : '.so');
  return join(lib, 'zetasql', `remote_server${suffix}`);
}

export async function startAnalyzer(): Promise<Analyzer> {
  // The package's client connects to "localhost"; the server listens on 127.0.0.1 only.
  (ZetaSQLClient as unknown as { HOST: string }).HOST = '127.0.0.1';
  const server: ServerProcess = await retriedWhenPortTaken(async () => {
    const port = await freePort();
    ZetaSQLClient.init(port);
    const client = ZetaSQLClient.getInstance();
    return startServerProcess(binaryPath(), ['127.0.0.1', String(port)], {
      name: 'ZetaSQL analyzer',
      timeoutMs: 30_000,
      ready: async () => {
        await client.formatSql({ sql: 'SELECT 1' });
        return true;
      },
    });
  });
  const client = ZetaSQLClient.getInstance();
  let registered: unknown = null;
  return {
    async register(catalog) {
      if (registered !== null) await client.unRegisterCatalog({ registeredId: registered } as never);
      // The request type is generated from the protos; this catalog is the same shape.
      const response = await client.registerCatalog({ simpleCatalog: catalog.toProto() as never });
      registered = response?.registeredId ?? null;
    },
    async analyze(sql) {
      if (registered === null) throw new Error('register a catalog before analysing');
      try {
        const response = await client.analyze({
          registeredCatalogId: registered as number,
          sqlStatement: sql,
          options: { languageOptions: LANGUAGE_OPTIONS, errorMessageMode: 'ERROR_MESSAGE_ONE_LINE' } as never,
        });
        const query = response?.resolvedStatement?.resolvedQueryStmtNode;
        if (!query) return { message: `not a query: ${response?.resolvedStatement?.node}` };
        return {
          columns: query.outputColumnList.map((c) => ({
            name: c.name,
            type: withoutNulls(c.column?.type) as unknown as TypeProto,
          })),
        };
      } catch (error) {
        return { message: (error as Error).message.replace(/^\d+ [A-Z_]+: /, '') };
      }
    },
    async stop() {
      ZetaSQLClient.API.close();
      await server.stop();
    },
  };
}
