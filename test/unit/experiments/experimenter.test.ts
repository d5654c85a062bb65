import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ContrailError } from '../../../src/errors.js';
import {
  type ExperimenterError,
  experimenterSource,
  experimentSourceFromSettings,
} from '../../../src/experiments/experimenter.js';

const NOW = new Date('2026-03-20T12:00:00Z');

/** An experiment as Experimenter's v8 API serves it, with fields contrail does not read. */
function v8(slug: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: '1.12.0',
    slug,
    id: slug,
    application: 'firefox-desktop',
    appName: 'firefox_desktop',
    appId: 'firefox-desktop',
    channel: 'release',
    userFacingName: slug,
    isEnrollmentPaused: false,
    isRollout: false,
    bucketConfig: { randomizationUnit: 'normandy_id', namespace: 'n', start: 0, count: 100, total: 10000 },
    featureIds: ['sidebar'],
    outcomes: [{ slug: 'demo_engagement', priority: 'primary' }],
    segments: [{ slug: 'us_clients' }],
    branches: [
      { slug: 'control', ratio: 1, features: [] },
      { slug: 'treatment', ratio: 1, features: [] },
    ],
    targeting: 'true',
    startDate: '2026-03-01',
    enrollmentEndDate: null,
    endDate: null,
    proposedDuration: 28,
    proposedEnrollment: 7,
    referenceBranch: 'control',
    ...overrides,
  };
}

/**
 * A loopback stand-in for Experimenter: launched experiments over three pages (the second
 * answers 503 once; the third is linked relatively, as DRF does behind a proxy), one malformed
 * record, and the drafts endpoint as a plain array whose first request has its connection reset.
 */
function experimenter(): { server: Server; requests: Map<string, number> } {
  const requests = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    const n = (requests.get(url) ?? 0) + 1;
    requests.set(url, n);
    const json = (body: unknown, status = 200) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const origin = `http://${req.headers.host}`;
    switch (url) {
      case '/api/v8/experiments/':
        return json({
          count: 6,
          next: `${origin}/api/v8/experiments/?page=2`,
          previous: null,
          results: [v8('live-a'), v8('live-b', { segments: [] })],
        });
      case '/api/v8/experiments/?page=2':
        if (n === 1) return json({ detail: 'try later' }, 503);
        return json({
          count: 6,
          next: '/api/v8/experiments/?page=3',
          previous: `${origin}/api/v8/experiments/`,
          results: [v8('live-c'), v8('malformed', { branches: [{ slug: 'control', ratio: 'one' }] })],
        });
      case '/api/v8/experiments/?page=3':
        return json({
          count: 6,
          next: null,
          previous: `${origin}/api/v8/experiments/?page=2`,
          // In Preview (not launched: no start date yet), and one that has ended.
          results: [v8('in-preview', { startDate: null }), v8('ended', { endDate: '2026-03-10' })],
        });
      case '/api/v8/draft-experiments/':
        if (n === 1) {
          req.socket.destroy();
          return;
        }
        return json([v8('draft-one', { startDate: null, referenceBranch: null }), v8('live-a')]);
      case '/broken/api/v8/experiments/':
        return json({ detail: 'down' }, 503);
      default:
        return json({ detail: 'Not found.' }, 404);
    }
  });
  return { server, requests };
}

describe('Experimenter API source', () => {
  let server: Server;
  let requests: Map<string, number>;
  let baseUrl: string;
  before(async () => {
    ({ server, requests } = experimenter());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const source = (options: { includeDrafts?: boolean; path?: string; warnings?: string[] } = {}) =>
    experimenterSource({
      baseUrl: `${baseUrl}${options.path ?? ''}`,
      ...(options.includeDrafts !== undefined ? { includeDrafts: options.includeDrafts } : {}),
      now: () => NOW,
      retries: 2,
      retryDelayMs: 5,
      onInvalidRecord: (e) => options.warnings?.push(e.message),
    });

  test('lists launched experiments over every page, retrying a 503, and never a draft', async () => {
    requests.clear();
    const warnings: string[] = [];
    const experiments = source({ warnings });
    const list = await experiments.list();
    assert.deepEqual(
      list.map((e) => [e.slug, e.status]),
      [
        ['live-a', 'live'],
        ['live-b', 'live'],
        ['live-c', 'live'],
        ['ended', 'complete'],
      ],
    );
    assert.deepEqual(list[0]?.segments, ['us_clients']);
    assert.deepEqual(list[0]?.outcomes, ['demo_engagement']);
    assert.equal(requests.get('/api/v8/experiments/?page=2'), 2, 'the 503 was retried');
    assert.equal(requests.get('/api/v8/draft-experiments/'), undefined, 'drafts are not even asked for');
    assert.equal(await experiments.get('draft-one'), null);
    assert.equal(await experiments.get('in-preview'), null);
    assert.equal((await experiments.get('live-c'))?.branches.length, 2);
    // The malformed record: left out of the list, reported, and an error naming it and its field.
    assert.equal(warnings.length, 1);
    await assert.rejects(experiments.get('malformed'), (error: ExperimenterError) => {
      assert.ok(error instanceof ContrailError && error.permanent);
      assert.match(error.message, /experiment 'malformed': field branches\.0\.ratio: .*expected number/);
      assert.match(error.message, /\/api\/v8\/experiments\/\?page=2/);
      return true;
    });
    // Responses are kept for the run: asking again sends nothing.
    const before = [...requests.values()].reduce((a, b) => a + b);
    await experiments.list();
    await experiments.get('live-a');
    assert.equal(
      [...requests.values()].reduce((a, b) => a + b),
      before,
    );
  });

  test('the preview view adds the drafts, retrying a reset connection', async () => {
    requests.clear();
    const preview = source().forPreview();
    const list = await preview.list();
    assert.deepEqual(
      list.map((e) => [e.slug, e.status]),
      [
        ['live-a', 'live'],
        ['live-b', 'live'],
        ['live-c', 'live'],
        ['in-preview', 'draft'],
        ['ended', 'complete'],
        ['draft-one', 'draft'],
      ],
    );
    assert.equal(requests.get('/api/v8/draft-experiments/'), 2, 'the reset connection was retried');
    assert.equal((await preview.get('draft-one'))?.referenceBranch, null);
    assert.equal(preview.includesDrafts, true);
  });

  test('includeDrafts: false keeps drafts out of the preview view too', async () => {
    requests.clear();
    const preview = source({ includeDrafts: false }).forPreview();
    assert.equal(await preview.get('draft-one'), null);
    assert.equal(requests.get('/api/v8/draft-experiments/'), undefined);
  });

  test('failures: a wrong URL is permanent at once; a server that stays down, transient after the retries', async () => {
    requests.clear();
    await assert.rejects(source({ path: '/nowhere' }).list(), (error: ExperimenterError) => {
      assert.ok(error.permanent);
      assert.match(error.message, /\/nowhere\/api\/v8\/experiments\/: HTTP 404 .*CONTRAIL_EXPERIMENTER_URL/);
      return true;
    });
    assert.equal(requests.get('/nowhere/api/v8/experiments/'), 1, 'a 404 is not retried');
    await assert.rejects(source({ path: '/broken' }).list(), (error: ExperimenterError) => {
      assert.equal(error.permanent, false);
      assert.match(error.message, /HTTP 503 .*gave up after 3 attempts/);
      return true;
    });
    assert.equal(requests.get('/broken/api/v8/experiments/'), 3);
    assert.throws(
      () => experimenterSource({ baseUrl: 'experimenter.example' }),
      /'experimenter\.example' must be an http:\/\/ or https:\/\/ address \(CONTRAIL_EXPERIMENTER_URL\)/,
    );
  });

  test('settings: CONTRAIL_EXPERIMENTER_URL chooses the API, else the experiments file', async () => {
    const api = experimentSourceFromSettings({}, { CONTRAIL_EXPERIMENTER_URL: baseUrl });
    assert.ok((await api.list()).some((e) => e.slug === 'live-a'));
    const file = experimentSourceFromSettings({}, {});
    assert.ok(await file.get('contrail-demo-sidebar'));
    const chosen = experimentSourceFromSettings(
      { experimentsFile: '/no/such.json' },
      { CONTRAIL_EXPERIMENTER_URL: baseUrl },
    );
    await assert.rejects(chosen.list(), /no\/such\.json: cannot read/);
  });
});
