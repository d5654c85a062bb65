/**
 * Another contrail process on a warehouse file, for tests of what the DuckDB file lock allows:
 *   node --import tsx test/helpers/warehouse-process.ts hold <file>    opens it, prints "open", holds it until stdin ends
 *   node --import tsx test/helpers/warehouse-process.ts write <file> <table>   opens it, writes a statistics table, exits
 *   node --import tsx test/helpers/warehouse-process.ts cycle <file> <pauseMs> <holdMs>
 *     until stdin ends: waits pauseMs, opens it, prints "open", holds it holdMs, closes it
 * While another process holds the file, it waits (up to a minute) for its turn. `cycle` is one
 * process taking the file again and again: a node process per turn would cost more CPU time
 * than the commands the tests run beside it.
 */
import { STATISTICS_COLUMNS } from '../../src/analysis/statistics.js';
import { openDuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { isLockedError } from '../../src/warehouse/duckdb-sessions.js';
import { statisticRow } from './statistic-row.js';

const [mode, path, table] = process.argv.slice(2);
if (!path || (mode !== 'hold' && mode !== 'write' && mode !== 'cycle')) {
  process.stderr.write('usage: warehouse-process.ts hold|write|cycle <file> [table | pauseMs holdMs]\n');
  process.exit(2);
}
async function openWhenFree(file: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await openDuckDbWarehouse({ path: file });
    } catch (error) {
      if (!isLockedError(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
if (mode === 'cycle') {
  const [pauseMs, holdMs] = process.argv.slice(4).map(Number);
  let ended = false;
  const end = new Promise<void>((resolve) =>
    process.stdin.once('end', () => {
      ended = true;
      resolve();
    }),
  );
  process.stdin.resume();
  const wait = (ms = 0) => Promise.race([new Promise((resolve) => setTimeout(resolve, ms)), end]);
  for (;;) {
    await wait(pauseMs);
    if (ended) break;
    const warehouse = await openWhenFree(path);
    process.stdout.write('open\n');
    await wait(holdMs);
    await warehouse.close();
  }
  process.exit(0);
}
const warehouse = await openWhenFree(path);
if (mode === 'hold') {
  process.stdout.write('open\n');
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once('end', resolve));
} else {
  await warehouse.writeRows({
    destination: { dataset: 'dash', table: table ?? 'statistics_written_week_1' },
    columns: STATISTICS_COLUMNS,
    rows: [statisticRow({ metric: 'm', lower: 0, upper: 2 })],
  });
  process.stdout.write('wrote\n');
}
await warehouse.close();
