import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  completeLock,
  type Lockfile,
  missingOptionalEntries,
  platformOf,
} from '../../../scripts/complete-lock.js';

const lockPath = fileURLToPath(new URL('../../../package-lock.json', import.meta.url));

describe('package-lock.json', () => {
  it('lists every per-platform optional package, so `npm ci` accepts it (CI and the Docker build)', () => {
    const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as Lockfile;
    assert.deepEqual(
      missingOptionalEntries(lock).map((m) => m.name),
      [],
      'run `npm run complete-lock` after `npm install`',
    );
  });

  it('completeLock adds the missing platform entries after their parent, with OS, CPU and libc', () => {
    const lock: Lockfile = {
      lockfileVersion: 3,
      packages: {
        '': { name: 'x' },
        'node_modules/@duckdb/node-bindings': {
          version: '1.0.0',
          optionalDependencies: {
            '@duckdb/node-bindings-linux-x64': '1.0.0',
            '@duckdb/node-bindings-linux-arm64-musl': '1.0.0',
            '@duckdb/node-bindings-darwin-arm64': '1.0.0',
          },
        },
        'node_modules/@duckdb/node-bindings-linux-x64': { version: '1.0.0', optional: true },
        'node_modules/zod': { version: '4.0.0' },
      },
    };
    const { lock: done, added } = completeLock(lock);
    assert.deepEqual(added, ['@duckdb/node-bindings-linux-arm64-musl', '@duckdb/node-bindings-darwin-arm64']);
    assert.deepEqual(missingOptionalEntries(done), []);
    assert.deepEqual(done.packages['node_modules/@duckdb/node-bindings-linux-arm64-musl'], {
      version: '1.0.0',
      os: ['linux'],
      cpu: ['arm64'],
      libc: ['musl'],
      optional: true,
    });
    const keys = Object.keys(done.packages);
    assert.equal(keys.at(-1), 'node_modules/zod');
    assert.equal(keys.indexOf('node_modules/@duckdb/node-bindings-darwin-arm64'), 2);
  });

  it('names a package whose platform it cannot tell', () => {
    assert.deepEqual(platformOf('@swc/core-win32-ia32-msvc'), { os: ['win32'], cpu: ['ia32'] });
    assert.throws(
      () => platformOf('@scope/bindings-wasm'),
      /cannot tell the platform of optional package @scope\/bindings-wasm/,
    );
  });
});
