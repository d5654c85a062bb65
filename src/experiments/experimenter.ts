import pRetry, { AbortError } from 'p-retry';
import { ContrailError } from '../errors.js';
import type { Experiment } from './experiment.js';
import {
  defaultExperimentsFile,
  type ExperimentSource,
  experimentSource,
  type LoadedExperiments,
  localExperimentSource,
} from './source.js';
import { ExperimenterV8Record, recordProblems, recordSlug, toExperiment } from './v8.js';

/**
 * A client of Experimenter's v8 API: `<base>/api/v8/experiments/` lists every experiment that
 * has left the draft state, `<base>/api/v8/draft-experiments/` the drafts (read only for the
 * preview view, see ExperimentSource). Experimenter answers with one JSON array; a paged answer
 * in Django REST framework's envelope (`{"results": [...], "next": url}`, what its API
 * framework sends once pagination is switched on) is followed page by page.
 */

/** Something went wrong talking to Experimenter or reading what it sent. */
export class ExperimenterError extends ContrailError {
  constructor(message: string, options: { permanent: boolean; url: string; slug?: string; cause?: unknown }) {
    super(message, {
      permanent: options.permanent,
      details: { url: options.url, ...(options.slug ? { slug: options.slug } : {}) },
      ...(options.cause !== undefined ? { cause: options.cause } : {}),
    });
    this.name = 'ExperimenterError';
  }
}

export interface ExperimenterOptions {
  /** Experimenter's address, e.g. https://experimenter.services.mozilla.com (no /api path). */
  baseUrl: string;
  /** Whether the preview view reads the draft endpoint (false: it sees launched experiments only). */
  includeDrafts?: boolean;
  /** The HTTP client (tests and proxies); the platform's fetch by default. */
  fetch?: typeof fetch;
  now?: () => Date;
  /** Retries of a transient failure (429, 5xx, a reset connection) before giving up. */
  retries?: number;
  /** First backoff in milliseconds; doubles with each retry (a Retry-After header wins if longer). */
  retryDelayMs?: number;
  /**
   * How long a response is reused. One run's many activities then ask Experimenter once, and a
   * worker that lives for days still sees new experiments.
   */
  cacheTtlMs?: number;
  /** Told about each record that is not valid v8 JSON (default: a process warning). */
  onInvalidRecord?: (error: ExperimenterError) => void;
}

/** HTTP statuses worth another try: rate limiting and the server's own transient failures. */
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);
/** Bounds a misbehaving server's `next` links. */
const MAX_PAGES = 1000;
const USER_AGENT = 'contrail';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';

/** Experiments from Experimenter's v8 API, launched and (for previews) drafts. */
export function experimenterSource(options: ExperimenterOptions): ExperimentSource {
  const parsedBase = URL.parse(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  if (parsedBase === null || (parsedBase.protocol !== 'http:' && parsedBase.protocol !== 'https:')) {
    throw new ExperimenterError(
      `Experimenter URL '${options.baseUrl}' must be an http:// or https:// address (CONTRAIL_EXPERIMENTER_URL)`,
      { permanent: true, url: options.baseUrl },
    );
  }
  const base: URL = parsedBase;
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const retries = options.retries ?? 4;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const cacheTtlMs = options.cacheTtlMs ?? 10 * 60_000;
  const onInvalid =
    options.onInvalidRecord ?? ((error) => process.emitWarning(error.message, 'ExperimenterWarning'));

  /** One GET of JSON, retried with backoff while the failure is transient. */
  async function getJson(url: string): Promise<unknown> {
    try {
      return await attempts(url);
    } catch (error) {
      if (error instanceof ExperimenterError && !error.permanent) {
        throw new ExperimenterError(`${error.message}; gave up after ${retries + 1} attempts`, {
          permanent: false,
          url,
          cause: error,
        });
      }
      throw error;
    }
  }

  async function attempts(url: string): Promise<unknown> {
    return await pRetry(
      async () => {
        let response: Response;
        try {
          response = await doFetch(url, {
            headers: { accept: 'application/json', 'user-agent': USER_AGENT },
          });
        } catch (error) {
          // A refused or reset connection, a DNS hiccup: worth another try.
          throw new ExperimenterError(`Experimenter ${url}: ${describeNetworkError(error)}`, {
            permanent: false,
            url,
            cause: error,
          });
        }
        if (!response.ok) {
          const transient = TRANSIENT_STATUSES.has(response.status);
          const error = new ExperimenterError(
            `Experimenter ${url}: HTTP ${response.status} ${response.statusText}${transient ? '' : ' (is CONTRAIL_EXPERIMENTER_URL right?)'}`,
            { permanent: !transient, url },
          );
          await response.body?.cancel();
          if (!transient) throw new AbortError(error);
          await waitRetryAfter(response);
          throw error;
        }
        try {
          return (await response.json()) as unknown;
        } catch (error) {
          throw new AbortError(
            new ExperimenterError(
              `Experimenter ${url}: the answer is not JSON: ${(error as Error).message}`,
              {
                permanent: true,
                url,
                cause: error,
              },
            ),
          );
        }
      },
      { retries, factor: 2, minTimeout: retryDelayMs, maxTimeout: 60_000, randomize: false },
    );
  }

  /** A 429/503's Retry-After (seconds), when it asks for more than our own backoff. */
  async function waitRetryAfter(response: Response): Promise<void> {
    const seconds = Number(response.headers.get('retry-after'));
    const ms = Number.isFinite(seconds) ? Math.min(seconds * 1000, 60_000) : 0;
    if (ms > retryDelayMs) await new Promise((resolve) => setTimeout(resolve, ms - retryDelayMs));
  }

  /** Every record of an endpoint, following pages. */
  async function records(path: string): Promise<{ url: string; record: unknown }[]> {
    const out: { url: string; record: unknown }[] = [];
    let url: string | null = new URL(path, base).href;
    const seen = new Set<string>();
    while (url !== null) {
      if (seen.has(url) || seen.size >= MAX_PAGES) {
        throw new ExperimenterError(`Experimenter ${url}: the pages link back or do not end`, {
          permanent: true,
          url,
        });
      }
      seen.add(url);
      const page: unknown = await getJson(url);
      const pageUrl: string = url;
      if (Array.isArray(page)) {
        for (const record of page) out.push({ url: pageUrl, record });
        url = null;
      } else if (isRecord(page) && Array.isArray(page.results)) {
        for (const record of page.results) out.push({ url: pageUrl, record });
        url = typeof page.next === 'string' && page.next !== '' ? new URL(page.next, pageUrl).href : null;
      } else {
        throw new ExperimenterError(
          `Experimenter ${url}: expected a JSON array of experiments (or {"results": [...], "next": ...})`,
          { permanent: true, url },
        );
      }
    }
    return out;
  }

  async function load(path: string, draft: boolean): Promise<LoadedExperiments> {
    const experiments: Experiment[] = [];
    const invalid = new Map<string, Error>();
    const at = now();
    for (const { url, record } of await records(path)) {
      const parsed = ExperimenterV8Record.safeParse(record);
      if (parsed.success) {
        experiments.push(toExperiment(parsed.data, at, { draft }));
        continue;
      }
      const slug = recordSlug(record);
      const error = new ExperimenterError(
        `Experimenter ${url}: experiment ${slug ? `'${slug}'` : 'without a slug'}: ${recordProblems(parsed.error).join('; ')}`,
        { permanent: true, url, ...(slug ? { slug } : {}) },
      );
      onInvalid(error);
      if (slug) invalid.set(slug, error);
    }
    return { experiments, invalid };
  }

  // Responses are kept for cacheTtlMs; a failure is not kept, so the next call asks again.
  const cache = new Map<string, { at: number; value: Promise<LoadedExperiments> }>();
  function cached(path: string, draft: boolean): Promise<LoadedExperiments> {
    const hit = cache.get(path);
    if (hit && Date.now() - hit.at < cacheTtlMs) return hit.value;
    const value = load(path, draft);
    cache.set(path, { at: Date.now(), value });
    value.catch(() => {
      if (cache.get(path)?.value === value) cache.delete(path);
    });
    return value;
  }

  return experimentSource({
    launched: () => cached('api/v8/experiments/', false),
    drafts: () =>
      options.includeDrafts === false
        ? Promise.resolve({ experiments: [], invalid: new Map() })
        : cached('api/v8/draft-experiments/', true),
  });
}

function describeNetworkError(error: unknown): string {
  const cause = isRecord(error) && isRecord(error.cause) ? error.cause : null;
  const code = cause && typeof cause.code === 'string' ? ` (${cause.code})` : '';
  return `${error instanceof Error ? error.message : String(error)}${code}`;
}

/**
 * The experiment source of this machine's settings: Experimenter's API when
 * CONTRAIL_EXPERIMENTER_URL is set (or `experimenterUrl` is given), else the local experiments
 * file (CONTRAIL_EXPERIMENTS_FILE, or the demo experiments that ship with contrail).
 */
export function experimentSourceFromSettings(
  overrides: { experimentsFile?: string; experimenterUrl?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): ExperimentSource {
  if (overrides.experimentsFile) return localExperimentSource(overrides.experimentsFile);
  const url = overrides.experimenterUrl ?? env.CONTRAIL_EXPERIMENTER_URL?.trim();
  if (url) return experimenterSource({ baseUrl: url });
  return localExperimentSource(defaultExperimentsFile(env));
}
