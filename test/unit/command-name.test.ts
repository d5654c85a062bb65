import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { transportFailure } from '../../src/client/connect.js';
import { contrailCommand, contrailCommandFor, useInvocation, useNameOnPath } from '../../src/command-name.js';
import { embeddedMissingTableError } from '../../src/warehouse/errors.js';
import { runMain } from '../helpers/cli.js';

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

describe('the CLI as hints name it', () => {
  after(() => useNameOnPath());

  test('from the path bin/contrail was run by, the PATH and the working directory', () => {
    // [what `$0` was, PATH, working directory, what a hint says]
    const table: [string | undefined, string | undefined, string, string][] = [
      // No launcher (the image runs dist/client/cli.js; tests call main): the name on PATH.
      [undefined, SYSTEM_PATH, '/app', 'contrail'],
      ['', SYSTEM_PATH, '/app', 'contrail'],
      // A checkout's launcher, by the path the user typed, from where the user is.
      ['bin/contrail', SYSTEM_PATH, '/home/me/contrail', 'bin/contrail'],
      ['./bin/contrail', SYSTEM_PATH, '/home/me/contrail', './bin/contrail'],
      ['/home/me/contrail/bin/contrail', SYSTEM_PATH, '/tmp', '/home/me/contrail/bin/contrail'],
      ['../contrail/bin/contrail', SYSTEM_PATH, '/home/me/other', '../contrail/bin/contrail'],
      ['bin/contrail', undefined, '/home/me/contrail', 'bin/contrail'],
      ['./contrail', undefined, '/home/me/contrail/bin', './contrail'],
      // A path the shell would split is quoted, so the hint still pastes as one word.
      ['/home/me/my projects/bin/contrail', SYSTEM_PATH, '/tmp', "'/home/me/my projects/bin/contrail'"],
      // Found through PATH: the shell ran the file by its full path; the user typed its name.
      ['/usr/local/bin/contrail', SYSTEM_PATH, '/home/me', 'contrail'],
      ['/usr/local/bin/contrail', '/usr/bin:/usr/local/bin/', '/home/me', 'contrail'],
      [
        '/srv/repo/node_modules/.bin/contrail',
        `/srv/repo/node_modules/.bin:${SYSTEM_PATH}`,
        '/srv/repo',
        'contrail',
      ],
      ['/usr/local/bin/ctr', SYSTEM_PATH, '/home/me', 'ctr'],
      // A checkout's bin directory on PATH, absolute or relative, answers to the name too.
      ['bin/contrail', `/home/me/contrail/bin:${SYSTEM_PATH}`, '/home/me/contrail', 'contrail'],
      ['bin/contrail', `bin:${SYSTEM_PATH}`, '/home/me/contrail', 'contrail'],
      ['./contrail', `.:${SYSTEM_PATH}`, '/home/me/contrail/bin', 'contrail'],
      ['./contrail', `:${SYSTEM_PATH}`, '/home/me/contrail/bin', 'contrail'],
      // …but not a directory of the same name elsewhere.
      ['bin/contrail', `/home/you/contrail/bin:${SYSTEM_PATH}`, '/home/me/contrail', 'bin/contrail'],
      ['contrail', SYSTEM_PATH, '/home/me', 'contrail'],
    ];
    for (const [invokedAs, path, cwd, said] of table) {
      assert.equal(
        contrailCommandFor(invokedAs, path, cwd),
        said,
        `${invokedAs} with PATH ${path} in ${cwd}`,
      );
    }
  });

  test('run by npm from a node_modules/.bin it put on PATH (`npx contrail`), the hint says `npx contrail`', () => {
    const project = `/srv/repo/node_modules/.bin:${SYSTEM_PATH}`;
    const cache = `/root/.npm/_npx/0a30f277b24487f1/node_modules/.bin:${project}`;
    // [what `$0` was, PATH, working directory, npm_command, what a hint says]
    const table: [string, string, string, string | undefined, string][] = [
      // `npx contrail` / `npm exec contrail` in a project that installed it, or from npx's cache.
      ['/srv/repo/node_modules/.bin/contrail', project, '/srv/repo', 'exec', 'npx contrail'],
      ['/srv/repo/node_modules/.bin/contrail', project, '/srv/repo/configs', 'exec', 'npx contrail'],
      [
        '/root/.npm/_npx/0a30f277b24487f1/node_modules/.bin/contrail',
        cache,
        '/srv/repo',
        'exec',
        'npx contrail',
      ],
      // A project's npm script that runs `contrail …`: its shell has no `contrail` either.
      ['/srv/repo/node_modules/.bin/contrail', project, '/srv/repo', 'run', 'npx contrail'],
      ['/srv/repo/node_modules/.bin/contrail', project, '/srv/repo', 'run-script', 'npx contrail'],
      // `npm run demo` runs the checkout's launcher by its path: the hint keeps that path.
      [
        'bin/contrail',
        `/home/me/contrail/node_modules/.bin:${SYSTEM_PATH}`,
        '/home/me/contrail',
        'run',
        'bin/contrail',
      ],
      // npm runs a tool that runs an installed contrail found elsewhere on PATH: typed as it is.
      ['/usr/local/bin/contrail', project, '/srv/repo', 'exec', 'contrail'],
      // node_modules/.bin on the person's own PATH, no npm: `contrail` as before.
      ['/srv/repo/node_modules/.bin/contrail', project, '/srv/repo', undefined, 'contrail'],
      ['/srv/repo/node_modules/.bin/contrail', project, '/srv/repo', '', 'contrail'],
    ];
    for (const [invokedAs, path, cwd, npmCommand, said] of table) {
      assert.equal(
        contrailCommandFor(invokedAs, path, cwd, npmCommand),
        said,
        `${invokedAs} with PATH ${path} in ${cwd}, npm_command ${npmCommand}`,
      );
    }
  });

  test('messages built in this process name the command as it was invoked; a cluster worker says `contrail`', () => {
    useInvocation({ CONTRAIL_INVOKED_AS: 'bin/contrail', PATH: SYSTEM_PATH });
    assert.equal(contrailCommand(), 'bin/contrail');
    assert.match(transportFailure('connection refused'), /`bin\/contrail server` starts one/);
    const missing = () =>
      embeddedMissingTableError({
        table: 'mozdata.telemetry.events',
        file: '/x/mozdata.duckdb',
        telemetry: true,
        catalogTables: [],
        duckdbMessage: 'Catalog Error: Table with name events does not exist!',
      }).message;
    assert.match(missing(), /run `bin\/contrail sample` to write demo telemetry/);
    useNameOnPath();
    assert.match(missing(), /run `contrail sample` to write demo telemetry/);
  });

  test("the CLI reads its launcher's path: a usage error names the command to type", async () => {
    const out = await runMain(['stats', '--statistic', 'bootstrap_mean', 'a.csv', 'b.csv'], {
      CONTRAIL_INVOKED_AS: '../contrail/bin/contrail',
      PATH: SYSTEM_PATH,
    });
    assert.equal(out.code, 2);
    assert.equal(
      out.stderr.trim().split('\n').at(-1),
      'contrail: unexpected argument b.csv: the command is `../contrail/bin/contrail stats <file>` (see above)',
    );
    assert.match(out.stderr, /^\.\.\/contrail\/bin\/contrail stats <file>/m, 'the help names it so too');
    // Under `npx contrail`, as npm sets the environment: the hint says `npx contrail`.
    const npx = await runMain(['stats', '--statistic', 'bootstrap_mean', 'a.csv', 'b.csv'], {
      CONTRAIL_INVOKED_AS: '/srv/repo/node_modules/.bin/contrail',
      PATH: `/srv/repo/node_modules/.bin:${SYSTEM_PATH}`,
      npm_command: 'exec',
    });
    assert.match(npx.stderr, /the command is `npx contrail stats <file>`/);
    // Without a launcher's path (as in the image), the name on PATH.
    const bare = await runMain(['stats', '--statistic', 'bootstrap_mean', 'a.csv', 'b.csv']);
    assert.match(bare.stderr, /the command is `contrail stats <file>`/);
  });
});
