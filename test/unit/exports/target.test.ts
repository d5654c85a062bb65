import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CRC32C } from '@google-cloud/storage';
import { ContrailError } from '../../../src/errors.js';
import { exportTarget, InvalidExportTargetError } from '../../../src/exports/target.js';
import { fileRefusal } from '../../../src/file-refusal.js';

test('a directory target writes whole files under the jetstream layout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-exports-'));
  const where = await exportTarget(dir).write('statistics/statistics_x_weekly.json', '[1,2]');
  assert.equal(where, join(dir, 'statistics', 'statistics_x_weekly.json'));
  assert.equal(readFileSync(where, 'utf8'), '[1,2]');
  assert.deepEqual(
    readdirSync(join(dir, 'statistics')),
    ['statistics_x_weekly.json'],
    'no temporary file left',
  );
});

test('a write the directory refuses leaves no partial file and names the file and what to do', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-exports-'));
  // The rename cannot land (a directory holds the name): as a full disk fails the write, after
  // the temporary file has taken what space there was.
  mkdirSync(join(dir, 'statistics', 'statistics_x_weekly.json', 'in-the-way'), { recursive: true });
  writeFileSync(join(dir, 'statistics', 'statistics_x_daily.json'), '[0]');
  await assert.rejects(
    exportTarget(dir).write('statistics/statistics_x_weekly.json', '[1,2]'),
    (error: unknown) =>
      error instanceof ContrailError &&
      !error.permanent &&
      error.message.startsWith(
        `cannot write the export ${join(dir, 'statistics', 'statistics_x_weekly.json')}: `,
      ) &&
      error.message.endsWith(
        '; free space there or set CONTRAIL_EXPORT_DIR to a directory you can write to (the file it would replace is unchanged)',
      ),
  );
  assert.deepEqual(
    readdirSync(join(dir, 'statistics')).sort(),
    ['statistics_x_daily.json', 'statistics_x_weekly.json'],
    'no temporary file left',
  );
  // A file where the directory should be: named, not node's ENOENT or ENOTDIR.
  writeFileSync(join(dir, 'metadata'), 'x');
  await assert.rejects(
    exportTarget(dir).write('metadata/metadata_x.json', '{}'),
    new RegExp(
      `^ContrailError: cannot write the export .*metadata_x\\.json: ${join(dir, 'metadata')} is not a directory; `,
    ),
  );
});

test('a full disk and a read-only mount are said in words, with their codes', () => {
  const refused = (code: string) =>
    fileRefusal(Object.assign(new Error(`${code}: something, write`), { code }));
  assert.equal(refused('ENOSPC'), 'no space left on its file system (ENOSPC)');
  assert.equal(refused('EROFS'), 'its file system is read-only (EROFS)');
  assert.equal(refused('EACCES'), 'permission denied (EACCES)');
  assert.equal(refused('EIO'), 'EIO: something, write');
});

test('a gs:// target uploads each file as one object with the official client', async () => {
  // A stand-in for the GCS JSON API upload endpoint (no network here): records what arrives.
  const uploads: { url: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      uploads.push({ url: req.url ?? '', body });
      // multipart/related: object metadata, then the media; reply with the media's checksums,
      // which the client verifies.
      const boundary = /boundary=([^;]+)/.exec(req.headers['content-type'] ?? '')?.[1] ?? '';
      const media =
        body.split(`--${boundary}`)[2]?.split('\r\n\r\n').slice(1).join('\r\n\r\n').replace(/\r\n$/, '') ??
        '';
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          bucket: 'results-bucket',
          name: 'x',
          generation: '1',
          md5Hash: createHash('md5').update(media).digest('base64'),
          crc32c: (() => {
            const crc = new CRC32C();
            crc.update(Buffer.from(media));
            return crc.toString();
          })(),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.env.STORAGE_EMULATOR_HOST = `http://127.0.0.1:${port}`;
  try {
    const where = await exportTarget('gs://results-bucket/contrail/').write(
      'metadata/metadata_x.json',
      '{"a":1}',
    );
    assert.equal(where, 'gs://results-bucket/contrail/metadata/metadata_x.json');
    assert.equal(uploads.length, 1);
    const upload = uploads[0]!;
    assert.match(upload.url, /^\/upload\/storage\/v1\/b\/results-bucket\/o\?/);
    assert.match(upload.url, /uploadType=multipart/);
    assert.match(upload.url, /name=contrail%2Fmetadata%2Fmetadata_x\.json/);
    assert.match(upload.body, /"contentType":"application\/json"/);
    assert.match(upload.body, /\{"a":1\}/);
  } finally {
    delete process.env.STORAGE_EMULATOR_HOST;
    server.close();
  }
});

test('a malformed gs:// location names itself and what is valid', () => {
  assert.throws(
    () => exportTarget('gs://'),
    /export location gs:\/\/: expected gs:\/\/<bucket>\[\/<prefix>\]/,
  );
});

test('a location of another scheme is refused, not taken as a directory named after it', () => {
  for (const location of ['s3://bucket/prefix', 'https://example.com/exports', 'GS://bucket']) {
    assert.throws(
      () => exportTarget(location),
      (error) =>
        error instanceof InvalidExportTargetError &&
        error.message.startsWith(
          `export location ${location}: exports go to a directory or to Google Cloud Storage`,
        ),
      location,
    );
  }
});
