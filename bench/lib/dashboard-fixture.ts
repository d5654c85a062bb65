/**
 * What the dashboard benchmarks read, on either warehouse: one experiment's results shaped like
 * a preview's (3 weekly windows and an overall window, 3 branches, 2 bases) and its log rows.
 */
import { LOG_COLUMNS, LOGS_TABLE } from '../../src/analysis/logs.js';
import { STATISTICS_COLUMNS } from '../../src/analysis/statistics.js';
import type { StatisticResultRow } from '../../src/statistics/results.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';

export interface BenchExperiment {
  dataset: string;
  segments: readonly string[];
  metrics: readonly string[];
  /** Each statistic with its parameters (`[null]`: one value per branch). */
  statistics: readonly (readonly [string, readonly (string | null)[]])[];
  /** What each treatment branch is compared to control by. */
  comparisons: readonly ('difference' | 'relative_uplift')[];
  logRows: number;
  /** Every n-th log row is an error (the others warnings); none when absent. */
  errorEvery?: number;
}

/** Writes the experiment `bench-exp` of `shape` into `warehouse`; returns how many statistics rows. */
export async function writeBenchExperiment(warehouse: Warehouse, shape: BenchExperiment): Promise<number> {
  await warehouse.createDataset(shape.dataset);
  let total = 0;
  for (const [period, windows] of [
    ['week', [1, 2, 3]],
    ['overall', [1]],
  ] as const) {
    for (const w of windows) {
      const rows: StatisticResultRow[] = [];
      for (const analysis_basis of ['enrollments', 'exposures'] as const)
        for (const segment of shape.segments)
          for (const metric of shape.metrics)
            for (const branch of ['control', 'treatment-a', 'treatment-b'])
              for (const [statistic, parameters] of shape.statistics)
                for (const parameter of parameters)
                  for (const comparison of branch === 'control' ? [null] : [null, ...shape.comparisons]) {
                    const point = Math.random();
                    rows.push({
                      metric,
                      statistic,
                      parameter,
                      branch,
                      comparison,
                      comparison_to_branch: comparison === null ? null : 'control',
                      ci_width: 0.95,
                      point,
                      lower: point - 0.1,
                      upper: point + 0.1,
                      segment,
                      analysis_basis,
                      window_index: String(w),
                    });
                  }
      await warehouse.writeRows({
        destination: { dataset: shape.dataset, table: `statistics_bench_exp_${period}_${w}` },
        columns: STATISTICS_COLUMNS,
        rows,
      });
      total += rows.length;
    }
  }
  const errorEvery = shape.errorEvery ?? 0;
  await warehouse.writeRows({
    destination: { dataset: shape.dataset, table: LOGS_TABLE },
    columns: LOG_COLUMNS,
    rows: Array.from({ length: shape.logRows }, (_, i) => ({
      timestamp: new Date(Date.UTC(2026, 2, 15, 0, i)).toISOString(),
      source: 'contrail',
      experiment: 'bench-exp',
      analysis_date: '2026-03-15',
      stage: 'statistics week 1',
      log_level: errorEvery > 0 && i % errorEvery === 0 ? 'ERROR' : 'WARNING',
      exception_type: 'StatisticWarning',
      message: `warning ${i}`,
      tool_version: '0.1.0',
      config_commit: null,
    })),
  });
  return total;
}
