import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';

/**
 * A loopback HTTP server that answers Google's BigQuery client with recorded BigQuery REST
 * responses (test/fixtures/bigquery/recorded-responses.json), for what the emulator cannot
 * show: dry-run byte counts, retryable and quota errors, jobs that run for a while, cancellation,
 * and a job id that already exists. It keeps just enough state to be a faithful counterpart:
 * jobs by id (each answering a scripted sequence of states), cancellations, table labels.
 */
export type RecordedName =
  | 'dryRun'
  | 'dryRunSmall'
  | 'backendError'
  | 'rateLimitExceeded'
  | 'quotaExceeded'
  | 'tooManyRequests'
  | 'serviceUnavailable'
  | 'invalidQuery'
  | 'duplicateJob'
  | 'jobRunning'
  | 'jobDone'
  | 'jobDoneSmall'
  | 'jobDoneBackendError'
  | 'jobDoneBytesBilledLimit'
  | 'jobCancelled'
  | 'table';

interface Recorded {
  status: number;
  body: unknown;
}

const RECORDED = JSON.parse(
  readFileSync(new URL('../fixtures/bigquery/recorded-responses.json', import.meta.url), 'utf8'),
) as Record<RecordedName, Recorded>;

export interface ReplayedJob {
  id: string;
  configuration: Record<string, unknown>;
  /** Responses to successive jobs.get calls; the last one repeats. */
  states: RecordedName[];
  polls: number;
  cancelled: boolean;
}

export interface ReplayRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface ReplayServer {
  endpoint: string;
  requests: ReplayRequest[];
  jobs: Map<string, ReplayedJob>;
  /** Answers to the next jobs.insert calls, in order (then: create the job). */
  insertAnswers: RecordedName[];
  /** States a newly created job goes through on successive polls. */
  newJobStates: RecordedName[];
  /** How many of the next requests lose their connection unanswered, as a reset or a dropped idle connection does. */
  resets: number;
  /** How long each answer takes (benchmarks: BigQuery's own latency). */
  latencyMs: number;
  tableLabels: Map<string, Record<string, string>>;
  stop(): Promise<void>;
}

function render(name: RecordedName, values: Record<string, string>): Recorded {
  let text = JSON.stringify(RECORDED[name]);
  for (const [key, value] of Object.entries(values)) text = text.replaceAll(`<${key}>`, value);
  return JSON.parse(text) as Recorded;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startReplayServer(): Promise<ReplayServer> {
  const state: ReplayServer = {
    endpoint: '',
    requests: [],
    jobs: new Map(),
    insertAnswers: [],
    newJobStates: ['jobDone'],
    resets: 0,
    latencyMs: 0,
    tableLabels: new Map(),
    stop: async () => undefined,
  };
  const send = (response: ServerResponse, recorded: Recorded) => {
    response.writeHead(recorded.status, { 'content-type': 'application/json; charset=UTF-8' });
    response.end(JSON.stringify(recorded.body));
  };
  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const body = await readBody(request);
      if (state.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, state.latencyMs));
      if (state.resets > 0) {
        state.resets--;
        request.socket.destroy();
        return;
      }
      state.requests.push({ method: request.method ?? 'GET', path: url.pathname, body });
      const path = url.pathname;
      const insertJob = /^\/bigquery\/v2\/projects\/([^/]+)\/jobs$/.exec(path);
      const cancel = /^\/bigquery\/v2\/projects\/([^/]+)\/jobs\/([^/]+)\/cancel$/.exec(path);
      const getJob = /^\/bigquery\/v2\/projects\/([^/]+)\/jobs\/([^/]+)$/.exec(path);
      const table = /^\/bigquery\/v2\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(path);
      let m: RegExpExecArray | null = insertJob;
      if (request.method === 'POST' && m) {
        const project = m[1] as string;
        const insert = body as { jobReference?: { jobId?: string }; configuration?: Record<string, unknown> };
        const jobId = insert.jobReference?.jobId ?? 'dry-run';
        const values = { project, jobId };
        const answer = state.insertAnswers.shift();
        if (answer) return send(response, render(answer, values));
        if (insert.configuration?.dryRun) return send(response, render('dryRun', values));
        if (state.jobs.has(jobId)) return send(response, render('duplicateJob', values));
        const job: ReplayedJob = {
          id: jobId,
          configuration: insert.configuration ?? {},
          states: [...state.newJobStates],
          polls: 0,
          cancelled: false,
        };
        state.jobs.set(jobId, job);
        // jobs.insert answers with the job as it is when created.
        return send(response, render(job.states[0] === 'jobDone' ? 'jobDone' : 'jobRunning', values));
      }
      m = cancel;
      if (request.method === 'POST' && m) {
        const job = state.jobs.get(m[2] as string);
        if (job) job.cancelled = true;
        return send(response, render('jobCancelled', { project: m[1] as string, jobId: m[2] as string }));
      }
      m = getJob;
      if (request.method === 'GET' && m) {
        const job = state.jobs.get(m[2] as string);
        if (!job) {
          return send(response, {
            status: 404,
            body: {
              error: {
                code: 404,
                message: `Not found: Job ${m[1]}:${m[2]}`,
                errors: [{ reason: 'notFound', message: 'Not found' }],
              },
            },
          });
        }
        const name = job.states[Math.min(job.polls, job.states.length - 1)] as RecordedName;
        job.polls++;
        return send(response, render(name, { project: m[1] as string, jobId: job.id }));
      }
      m = table;
      if (m) {
        const key = `${m[2]}.${m[3]}`;
        const values = { project: m[1] as string, dataset: m[2] as string, table: m[3] as string };
        const recorded = render('table', values);
        if (request.method === 'PATCH') {
          const patch = (body as { labels?: Record<string, string | null> }).labels ?? {};
          const labels = { ...(state.tableLabels.get(key) ?? {}) };
          for (const [k, v] of Object.entries(patch)) {
            if (v === null) delete labels[k];
            else labels[k] = v;
          }
          state.tableLabels.set(key, labels);
        }
        (recorded.body as { labels: Record<string, string> }).labels = state.tableLabels.get(key) ?? {};
        return send(response, recorded);
      }
      send(response, {
        status: 404,
        body: { error: { code: 404, message: `no recorded response for ${request.method} ${url.pathname}` } },
      });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.endpoint = `http://127.0.0.1:${port}`;
  state.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

export interface SilentServer {
  endpoint: string;
  /** Connections accepted so far, and how many of them the client has since closed. */
  accepted: () => number;
  closedByClient: () => number;
  stop(): Promise<void>;
}

/**
 * A loopback endpoint that accepts connections and reads requests but never answers: a
 * BigQuery (or a proxy in front of it) that hangs, which a closed port does not show.
 */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let closedByClient = 0;
  let stopping = false;
  const server = createNetServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.resume();
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (!stopping) closedByClient++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    closedByClient: () => closedByClient,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
