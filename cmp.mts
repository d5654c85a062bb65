import { datasetContents, tablesWithDuplicates } from './test/helpers/dataset-contents.js';
const a = await datasetContents('/tmp/cf-home2/warehouse.duckdb', 'bf3');
const b = await datasetContents('/tmp/cf-home2/warehouse.duckdb', 'bf4');
console.log([...a.keys()].length, [...b.keys()].length, JSON.stringify([...a.keys()]) === JSON.stringify([...b.keys()]));
let diff = 0; for (const [t, rows] of a) { if (JSON.stringify(rows) !== JSON.stringify(b.get(t))) { diff++; console.log('DIFF', t, rows.length, b.get(t)?.length); } }
console.log('diff', diff, 'dups', tablesWithDuplicates(a), tablesWithDuplicates(b));
