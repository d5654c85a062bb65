import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ContrailError } from '../errors.js';
import type { SqlDialect } from '../sql/dialect.js';
import { WarehouseBusyError } from '../warehouse/errors.js';
import { InvalidIdentifierError } from '../warehouse/identifiers.js';
import type { WarehouseSessions } from '../warehouse/sessions.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import {
  type DatasetChoice,
  type ErrorResponse,
  FILTER_KEYS,
  type ViewRequest,
  type ViewResponse,
} from './api.js';
import { buildPageAssets, type PageAssets } from './assets.js';
import { DashboardRequestError } from './errors.js';
import { sqlPanel, windowsShown } from './sql-files.js';
import { dashboardUrl } from './url.js';
import { readView } from './view.js';

export interface DashboardOptions {
  sessions: WarehouseSessions;
  dialect: SqlDialect;
  /** The dataset shown when the URL names none. */
  defaultDataset: string;
  /** Offered in the page's dataset list (e.g. the preview and production datasets). */
  knownDatasets?: string[];
  /** The warehouse's datasets holding contrail's results or run logs, read with each answer and offered too. */
  listDatasets?: (warehouse: Warehouse) => Promise<DatasetChoice[]>;
  /** Directories of `.sql` files (and provenance maps) written by `--sql-output-dir`. */
  sqlDirs?: string[];
  /** Loopback port; 0 picks a free one. */
  port?: number;
  /** Pre-built page (tests share one); built on start otherwise. */
  assets?: PageAssets;
  /** Where failed answers are reported (server side). */
  log?: (line: string) => void;
}

export interface DashboardServer {
  /** The page's address (loopback). */
  url: string;
  port: number;
  /** Stops accepting, ends open connections and closes the warehouse. */
  close(): Promise<void>;
}

/** The dashboard listens on loopback only: result tables are not for the network. */
const HOST = '127.0.0.1';

// The page loads nothing from elsewhere; Plot sets inline styles on its SVG.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    ...headers,
  });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, body: ViewResponse | ErrorResponse): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function viewRequest(url: URL, defaultDataset: string): ViewRequest {
  const request: ViewRequest = { dataset: url.searchParams.get('dataset')?.trim() || defaultDataset };
  for (const key of FILTER_KEYS) {
    const value = url.searchParams.get(key);
    if (value) request[key] = value;
  }
  return request;
}

/**
 * Starts the results page on loopback: `/` the page, `/assets/*` its script (with the charting
 * library) and style, `/api/view` the data of one selection as JSON.
 */
export async function startDashboard(options: DashboardOptions): Promise<DashboardServer> {
  const assets = options.assets ?? (await buildPageAssets());
  const log = options.log ?? (() => undefined);
  let port = options.port ?? 0;
  const allowedHosts = () => new Set([`${HOST}:${port}`, `localhost:${port}`]);

  async function answerView(url: URL, response: ServerResponse): Promise<void> {
    const request = viewRequest(url, options.defaultDataset);
    try {
      const started = performance.now();
      const fromWarehouse = await options.sessions.use((warehouse) =>
        readView(warehouse, options.dialect, request, {
          // The dataset shown by default is one to choose even before anything wrote to it.
          knownDatasets: [options.defaultDataset, ...(options.knownDatasets ?? [])],
          ...(options.listDatasets ? { listDatasets: options.listDatasets } : {}),
        }),
      );
      const warehouseMs = Math.round(performance.now() - started);
      const sql = await sqlPanel(options.sqlDirs ?? [], fromWarehouse.selection, windowsShown(fromWarehouse));
      sendJson(response, 200, { ...fromWarehouse, sql, warehouseMs });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof DashboardRequestError) {
        sendJson(response, error.status, { error: message, retry: error.retry });
      } else if (error instanceof InvalidIdentifierError) {
        sendJson(response, 400, { error: message, retry: false });
      } else if (error instanceof WarehouseBusyError) {
        sendJson(response, 503, { error: message, retry: true });
      } else {
        log(`dashboard: ${url.pathname}${url.search}: ${message}`);
        const retry = !(error instanceof ContrailError && error.permanent);
        sendJson(response, 500, { error: message, retry });
      }
    }
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    // A page on another site cannot reach the dashboard through a name that resolves to loopback.
    if (!allowedHosts().has(request.headers.host ?? '')) {
      send(response, 403, 'text/plain; charset=utf-8', `the dashboard answers on ${HOST}:${port} only\n`);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, 'text/plain; charset=utf-8', 'only GET\n', { allow: 'GET, HEAD' });
      return;
    }
    const url = new URL(request.url ?? '/', `http://${HOST}:${port}`);
    switch (url.pathname) {
      case '/':
        send(response, 200, 'text/html; charset=utf-8', assets.html);
        return;
      case '/assets/dashboard.js':
        send(response, 200, 'text/javascript; charset=utf-8', assets.script);
        return;
      case '/assets/style.css':
        send(response, 200, 'text/css; charset=utf-8', assets.css);
        return;
      case '/api/view':
        void answerView(url, response);
        return;
      case '/favicon.ico':
        response.writeHead(204).end();
        return;
      default:
        send(response, 404, 'text/plain; charset=utf-8', `no page ${url.pathname}\n`);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: dashboardUrl({ port }),
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await options.sessions.close();
    },
  };
}
