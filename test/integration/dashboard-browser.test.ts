import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { LOG_COLUMNS, LOGS_TABLE } from '../../src/analysis/logs.js';
import { STATISTICS_COLUMNS } from '../../src/analysis/statistics.js';
import { planSql } from '../../src/client/plan-sql.js';
import { buildPageAssets, type PageAssets } from '../../src/dashboard/assets.js';
import { embeddedContrailDatasets, embeddedSessions } from '../../src/dashboard/embedded.js';
import { NO_VALUE } from '../../src/dashboard/labels.js';
import { SQL_PROVENANCE_FILE } from '../../src/dashboard/schema.js';
import { type DashboardServer, startDashboard } from '../../src/dashboard/server.js';
import { dashboardUrl } from '../../src/dashboard/url.js';
import { dateRange } from '../../src/dates.js';
import { localExperimentSource } from '../../src/experiments/source.js';
import { DEMO_DATA } from '../../src/sample/defaults.js';
import { generateSample } from '../../src/sample/generate.js';
import { DEMO_SLUG } from '../../src/sample/population.js';
import { duckdbDialect } from '../../src/sql/render/duckdb.js';
import { direction, excludesNoChange } from '../../src/statistics/significance.js';
import { openDuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { createContrailWorker } from '../../src/worker.js';
import type { PreviewResult } from '../../src/workflows/preview.js';
import { artifactPath, launchChromium } from '../helpers/browser.js';
import { testDeps } from '../helpers/deps.js';
import { DEMO_EXPERIMENTS_FILE, lightConfigRepo } from '../helpers/sample.js';
import { statisticRow } from '../helpers/statistic-row.js';
import { testTemporal } from '../helpers/temporal.js';

/**
 * The dashboard end to end: a real preview of the demo experiment (Temporal dev server, worker,
 * DuckDB file) into dataset `tmp`, its SQL written as `preview --sql-output-dir` writes it, the
 * dashboard serving that file, and Debian's Chromium reading the page. What the page draws and
 * lists is checked against the statistics tables, queried separately.
 */

const DATASET = 'tmp';
const START = '2026-03-15';
const END = '2026-03-29';
const PERIODS = ['week', 'overall'] as const;
// The demo configs with light bootstraps: the page is checked against the tables, whatever their intervals.
const CONFIG_REPO = lightConfigRepo();

interface StatRow {
  branch: string;
  comparison: string | null;
  comparison_to_branch: string | null;
  parameter: string | null;
  point: number | null;
  lower: number | null;
  upper: number | null;
  window_index: string;
}

/** What one chart draws, in pixels, and the y scale to read it back with. */
interface DrawnChart {
  yDomain: [number, number];
  yRange: [number, number];
  /** Per branch: the band-edge rules (y1, y2) in window order, and every y of the band's area path. */
  branches: Record<string, { rules: [number, number][]; areaYs: number[] }>;
}

async function drawnCharts(page: Page): Promise<Record<string, DrawnChart>> {
  const figures: {
    id: string;
    yDomain: string;
    yRange: string;
    marks: { kind: string; branch: string; ys: number[][] }[];
  }[] = await page.$$eval('figure.chart', (elements) =>
    elements.map((figure) => {
      const marks: { kind: string; branch: string; ys: number[][] }[] = [];
      for (const g of figure.querySelectorAll('g[aria-description^="band "]')) {
        const description: string = g.getAttribute('aria-description') ?? '';
        if (description.startsWith('band edges ')) {
          const lines = [...g.querySelectorAll('line')];
          marks.push({
            kind: 'rules',
            branch: description.slice('band edges '.length),
            ys: lines.map((l) => [Number(l.getAttribute('y1')), Number(l.getAttribute('y2'))]),
          });
        } else {
          const d: string = g.querySelector('path')?.getAttribute('d') ?? '';
          const numbers = [...d.matchAll(/-?\d+(?:\.\d+)?(?:e-?\d+)?/g)].map((m) => Number(m[0]));
          marks.push({
            kind: 'area',
            branch: description.slice('band '.length),
            ys: [numbers.filter((_, i) => i % 2 === 1)],
          });
        }
      }
      return {
        id: figure.getAttribute('data-comparison') ?? '',
        yDomain: figure.getAttribute('data-y-domain') ?? 'null',
        yRange: figure.getAttribute('data-y-range') ?? 'null',
        marks,
      };
    }),
  );
  const out: Record<string, DrawnChart> = {};
  for (const figure of figures) {
    const branches: DrawnChart['branches'] = {};
    for (const mark of figure.marks) {
      const entry = branches[mark.branch] ?? { rules: [], areaYs: [] };
      if (mark.kind === 'rules') entry.rules = mark.ys.map(([y1, y2]) => [y1!, y2!]);
      else entry.areaYs = mark.ys[0] ?? [];
      branches[mark.branch] = entry;
    }
    out[figure.id] = { yDomain: JSON.parse(figure.yDomain), yRange: JSON.parse(figure.yRange), branches };
  }
  return out;
}

/** A pixel y back to a data value through a chart's (linear) y scale. */
function invert(chart: DrawnChart, px: number): number {
  const [d0, d1] = chart.yDomain;
  const [r0, r1] = chart.yRange;
  return d0 + ((px - r0) * (d1 - d0)) / (r1 - r0);
}

function assertClose(actual: number, expected: number, chart: DrawnChart, what: string): void {
  // Half a thousandth of a pixel: the SVG keeps far more precision than that.
  const tolerance =
    (Math.abs(chart.yDomain[1] - chart.yDomain[0]) / Math.abs(chart.yRange[1] - chart.yRange[0])) * 1e-3;
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: drawn ${actual}, table ${expected}`);
}

describe('the dashboard in Chromium over a real preview', () => {
  const dir = mkdtempSync(join(tmpdir(), 'contrail-dashboard-'));
  const warehousePath = join(dir, 'warehouse.duckdb');
  const sqlDir = join(dir, 'sql');
  let server: DashboardServer;
  let browser: Browser;
  let page: Page;
  let assets: PageAssets;
  const requested: string[] = [];

  function serve(port: number): Promise<DashboardServer> {
    return startDashboard({
      sessions: embeddedSessions(warehousePath),
      dialect: duckdbDialect(),
      defaultDataset: DATASET,
      knownDatasets: [DATASET, 'contrail'],
      listDatasets: embeddedContrailDatasets,
      sqlDirs: [sqlDir],
      port,
      assets,
    });
  }

  /** The statistics rows the page should show, read from the warehouse file directly. */
  async function statistics(period: string, metric: string, statistic: string): Promise<StatRow[]> {
    const warehouse = await openDuckDbWarehouse({ path: warehousePath });
    try {
      const tables = (
        await warehouse.listTables(DATASET, `statistics_contrail_demo_sidebar_${period}_`)
      ).filter((t) => /_\d+$/.test(t.ref.table));
      assert.ok(tables.length > 0, `statistics tables of ${period}`);
      const union = tables.map((t) => `SELECT * FROM "${DATASET}"."${t.ref.table}"`).join(' UNION ALL ');
      return await warehouse.query<StatRow & Record<string, unknown>>(
        `SELECT branch, comparison, comparison_to_branch, parameter, point, lower, upper, window_index FROM (${union})
         WHERE metric = '${metric}' AND statistic = '${statistic}' AND segment = 'all' AND analysis_basis = 'enrollments'`,
      );
    } finally {
      await warehouse.close();
    }
  }

  async function waitReady(): Promise<void> {
    // A selector, not a function: the page's content security policy forbids evaluated strings.
    await page.waitForSelector('body:not([data-state="loading"])', { timeout: 30_000 });
    const state = await page.getAttribute('body', 'data-state');
    const status = await page.textContent('#status');
    assert.equal(state, 'ready', `the page says: ${status}`);
  }

  /** Checks every chart's band edges and the numbers table against the statistics rows. */
  async function checkAgainst(rows: StatRow[], label: string): Promise<void> {
    const charts = await drawnCharts(page);
    const comparisons = {
      absolute: null,
      difference: 'difference',
      relative_uplift: 'relative_uplift',
    } as const;
    for (const [chartId, comparison] of Object.entries(comparisons)) {
      const chart = charts[chartId];
      assert.ok(chart, `${label}: a ${chartId} chart`);
      const expected = rows.filter(
        (r) =>
          r.comparison === comparison &&
          (comparison === null || r.comparison_to_branch === 'control') &&
          r.lower !== null &&
          r.upper !== null,
      );
      const branches = [...new Set(expected.map((r) => r.branch))].sort();
      assert.deepEqual(
        Object.keys(chart.branches).sort(),
        branches,
        `${label}: branches of the ${chartId} chart`,
      );
      for (const branch of branches) {
        const mine = expected
          .filter((r) => r.branch === branch)
          .sort((a, b) => Number(a.window_index) - Number(b.window_index));
        const drawn: DrawnChart['branches'][string] = chart.branches[branch]!;
        assert.equal(
          drawn.rules.length,
          mine.length,
          `${label}: ${chartId} ${branch}: one band edge per window`,
        );
        mine.forEach((row, i) => {
          const [y1, y2] = drawn.rules[i]!;
          assertClose(
            invert(chart, y1),
            row.lower!,
            chart,
            `${label} ${chartId} ${branch} window ${row.window_index} lower`,
          );
          assertClose(
            invert(chart, y2),
            row.upper!,
            chart,
            `${label} ${chartId} ${branch} window ${row.window_index} upper`,
          );
        });
        // The band's outline passes through exactly the lower and upper bounds of each window.
        const bandValues: number[] = drawn.areaYs
          .map((y: number): number => invert(chart, y))
          .sort((a, b) => a - b);
        const bounds = mine.flatMap((r) => [r.lower!, r.upper!]).sort((a, b) => a - b);
        assert.equal(bandValues.length, bounds.length, `${label}: ${chartId} ${branch}: band outline points`);
        for (const [i, v] of bandValues.entries()) {
          assertClose(v, bounds[i]!, chart, `${label} ${chartId} ${branch} band`);
        }
      }
    }

    const cells = await page.$$eval('#numbers-table tbody tr', (trs) =>
      trs.map((tr) => {
        const values = [...tr.querySelectorAll('td[data-value], td.num')].slice(1).map((td) => ({
          value: td.getAttribute('data-value'),
          text: td.textContent ?? '',
        }));
        return {
          window: tr.getAttribute('data-window') ?? '',
          branch: tr.getAttribute('data-branch') ?? '',
          comparison: tr.getAttribute('data-comparison') ?? '',
          to: tr.getAttribute('data-to') ?? '',
          point: values[0]?.value ?? null,
          lower: values[1]?.value ?? null,
          upper: values[2]?.value ?? null,
        };
      }),
    );
    const shown = rows.filter((r) => r.comparison === null || r.comparison_to_branch === 'control');
    assert.equal(cells.length, shown.length, `${label}: one table row per statistics row`);
    for (const r of shown) {
      const cell = cells.find(
        (c) =>
          c.window === r.window_index &&
          c.branch === r.branch &&
          c.comparison === (r.comparison ?? '') &&
          c.to === (r.comparison_to_branch ?? ''),
      );
      assert.ok(cell, `${label}: a table row for ${JSON.stringify(r)}`);
      const asValue = (v: number | null) => (v === null ? null : String(v));
      assert.equal(cell.point, asValue(r.point), `${label}: point of ${JSON.stringify(r)}`);
      assert.equal(cell.lower, asValue(r.lower), `${label}: lower of ${JSON.stringify(r)}`);
      assert.equal(cell.upper, asValue(r.upper), `${label}: upper of ${JSON.stringify(r)}`);
    }
  }

  before(async () => {
    const warehouse = await openDuckDbWarehouse({
      path: warehousePath,
      attach: { mozdata: join(dir, 'mozdata.duckdb') },
    });
    const temporal = await testTemporal();
    try {
      await generateSample(warehouse, {
        clients: 3000,
        days: DEMO_DATA.days,
        startDate: DEMO_DATA.startDate,
        seed: 7,
      });
      const worker = await createContrailWorker({
        connection: temporal.nativeConnection,
        namespace: temporal.namespace,
        taskQueue: temporal.taskQueue,
        deps: testDeps(warehouse, {
          configRepos: [CONFIG_REPO],
          experiments: localExperimentSource(DEMO_EXPERIMENTS_FILE),
        }),
      });
      const result = (await worker.runUntil(
        temporal.client.workflow.execute('preview', {
          taskQueue: temporal.taskQueue,
          workflowId: `dashboard-preview/${temporal.taskQueue}`,
          args: [
            {
              slug: DEMO_SLUG,
              startDate: START,
              endDate: END,
              periods: [...PERIODS],
              sampleSize: 100,
              dataset: DATASET,
            },
          ],
        }),
      )) as PreviewResult;
      assert.equal(result.dataset, DATASET);
    } finally {
      await warehouse.close();
      await temporal.close();
    }
    // The SQL of the previewed dates, as `contrail preview --sql-output-dir` writes it.
    await planSql({
      slug: DEMO_SLUG,
      dates: dateRange(START, END),
      experimentsFile: DEMO_EXPERIMENTS_FILE,
      configRepos: [CONFIG_REPO],
      configFile: null,
      dataset: DATASET,
      periods: [...PERIODS],
      sampleSize: 100,
      outputDir: sqlDir,
    });
    // The map written beside them is the real one: the planner's own record of each fragment's lines.
    assert.ok(existsSync(join(sqlDir, SQL_PROVENANCE_FILE)), 'planSql wrote provenance.json');

    assets = await buildPageAssets();
    server = await serve(0);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('request', (r) => requested.push(r.url()));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('opens on the preview dataset and experiment from the URL; every request stays on the dashboard', async () => {
    await page.goto(dashboardUrl({ port: server.port, dataset: DATASET, experiment: DEMO_SLUG }));
    await waitReady();
    assert.equal(await page.inputValue('#dataset'), DATASET);
    assert.equal(await page.inputValue('#experiment'), 'contrail_demo_sidebar');
    // The logs know Experimenter's spelling of the slug.
    assert.equal(await page.textContent('#experiment option:checked'), DEMO_SLUG);
    assert.equal(await page.inputValue('#period'), 'week');
    assert.equal(await page.inputValue('#basis'), 'enrollments');
    assert.equal(await page.inputValue('#segment'), 'all');
    const metric = await page.inputValue('#metric');
    const statistic = await page.inputValue('#statistic');
    await checkAgainst(await statistics('week', metric, statistic), `week ${metric} ${statistic}`);
    const origin = new URL(server.url).origin;
    assert.deepEqual(
      requested.filter((u) => !u.startsWith(`${origin}/`)),
      [],
      'the page loads nothing from anywhere but the dashboard (the charting library is bundled)',
    );
  });

  test('switching metric and period redraws bands and numbers that equal the statistics table', async () => {
    // The overview of every metric: a click on a metric's row shows it, by the statistic the row used.
    const overviewRow = page.locator('#overview-table tr[data-metric="search_count"]');
    const upliftCell = overviewRow.locator('td[data-branch="treatment-a"]');
    const shown = {
      statistic: await overviewRow.getAttribute('data-statistic'),
      uplift: Number(await upliftCell.getAttribute('data-value')),
      direction: await upliftCell.getAttribute('data-direction'),
    };
    await overviewRow.click();
    await waitReady();
    assert.equal(await page.inputValue('#metric'), 'search_count');
    const weekStatistic = await page.inputValue('#statistic');
    const week = await statistics('week', 'search_count', weekStatistic);
    const latest = String(Math.max(...week.map((r) => Number(r.window_index))));
    const uplift = week.find(
      (r) =>
        r.window_index === latest &&
        r.comparison === 'relative_uplift' &&
        r.comparison_to_branch === 'control' &&
        r.branch === 'treatment-a',
    );
    assert.deepEqual(
      shown,
      {
        statistic: 'mean_lm',
        uplift: uplift?.point,
        direction: direction(uplift?.lower ?? null, uplift?.upper ?? null),
      },
      "the overview's row: Experimenter's statistic for search_count, its uplift at the latest window and which way",
    );
    assert.equal(weekStatistic, 'mean_lm');
    assert.ok(
      new Set(week.map((r) => r.window_index)).size >= 3,
      'three weekly windows: a line with a band, not just points',
    );
    await checkAgainst(week, `week search_count ${weekStatistic}`);

    await page.selectOption('#period', 'overall');
    await waitReady();
    assert.equal(
      await page.inputValue('#metric'),
      'search_count',
      'the metric stays when the period changes',
    );
    const overallStatistic = await page.inputValue('#statistic');
    await checkAgainst(
      await statistics('overall', 'search_count', overallStatistic),
      `overall search_count ${overallStatistic}`,
    );
    assert.match(page.url(), /period=overall/);
    assert.match(page.url(), /metric=search_count/);
  });

  test('shows the SQL of the metric with its config references, and the run’s logged errors', async () => {
    const first = page.locator('details.query').first();
    await first.locator('summary').click();
    const sql = await first.locator('pre.sql').textContent();
    assert.match(sql ?? '', /search_count/);
    const highlighted = await first.locator('pre.sql .line.hl').allTextContents();
    assert.ok(highlighted.length > 0, 'the lines computing the metric are marked');
    assert.ok(
      highlighted.every((l) => /search_count/.test(l)),
      highlighted.join('\n'),
    );
    const references = await first.locator('ul.references li').evaluateAll((lis) =>
      lis.map((li) => ({
        file: li.getAttribute('data-config-file') ?? '',
        key: li.getAttribute('data-config-key') ?? '',
        text: li.textContent ?? '',
      })),
    );
    assert.ok(references.length > 0, 'config references listed');
    const reference = references[0]!;
    assert.match(reference.file, /definitions\/firefox_desktop\.toml$/);
    assert.equal(reference.key, 'metrics.search_count.select_expression');
    assert.match(reference.text, /firefox_desktop\.toml:\d+ metrics\.search_count\.select_expression/);

    const warehouse = await openDuckDbWarehouse({ path: warehousePath });
    let logged: number;
    try {
      const [row] = await warehouse.query<{ n: number }>(
        `SELECT count(*) AS n FROM "${DATASET}"."logs" WHERE experiment = '${DEMO_SLUG}'`,
      );
      logged = Number(row?.n);
    } finally {
      await warehouse.close();
    }
    assert.ok(logged > 0, 'the preview logged its statistics warnings');
    // One row per problem (a warning of each window, on every date it recurs), its entries counted.
    const shownErrors = await page.locator('#errors-table tbody tr').count();
    assert.ok(shownErrors > 0 && shownErrors < logged, `${shownErrors} problems of ${logged} entries`);
    assert.match(
      (await page.textContent('#errors-note')) ?? '',
      new RegExp(`: ${Math.min(logged, 500)} entries logged`),
    );
    // Where to fix each logged problem, as the CLI names it, beside its message.
    const errorHeader = await page.locator('#errors-table thead th').allTextContents();
    assert.deepEqual(errorHeader.slice(0, 4), [
      'log_level',
      'analysis dates (period), newest first',
      'message',
      'where in the config (file:line key)',
    ]);
    const places = await page.locator('#errors-table td.config').allTextContents();
    assert.ok(
      places.some((p) => /\.toml:\d+ metrics\.\w+/.test(p)),
      places.slice(0, 3).join('\n'),
    );
    // The preview kept its per-query costs: one row per query, what it would be billed beside
    // its time and dollars. The embedded warehouse bills nothing: every figure is the estimate's,
    // marked, and the queries reading only the preview's own tables have none.
    assert.ok((await page.locator('#costs-table tbody tr').count()) > 0, 'per-query costs shown');
    assert.deepEqual(await page.locator('#costs-table thead th').allTextContents(), [
      'date',
      'query (table)',
      'stage',
      'billed',
      'scanned',
      'ms',
      'cost',
    ]);
    const billed = await page
      .locator('#costs-table tbody tr:not(.total) td.billed.estimate')
      .allTextContents();
    assert.ok(
      billed.length > 0 && billed.every((b) => /^~\d+(\.\d+)? [KMG]?i?B \(estimate\)$/.test(b)),
      billed.join('\n'),
    );
    assert.match(
      (await page
        .locator('#costs-table tbody tr:not(.total) td.billed.estimate')
        .first()
        .getAttribute('title')) ?? '',
      /sizes of the columns read/,
    );
    const [billedTotal, , , costTotal] = await page.locator('#costs-table tr.total td').allTextContents();
    assert.match(billedTotal ?? '', /^~\d+\.\d\d [KMG]iB billed \(the \d+ with a figure, estimated\)$/);
    assert.match(costTotal ?? '', /^~(\$|< \$)/, 'the dollars are of the estimate too');
    assert.match(
      (await page.textContent('#costs-note')) ?? '',
      /^billed: what BigQuery bills a query, at least 10\.00 MiB/,
    );

    const screenshot = artifactPath('dashboard.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.ok(statSync(screenshot).size > 10_000, 'a screenshot with something in it');
    process.stderr.write(`dashboard screenshot: ${screenshot}\n`);
  });
  test('every number is labelled: the selection, the window, the confidence level and significance', async () => {
    await page.goto(dashboardUrl({ port: server.port, dataset: DATASET, experiment: DEMO_SLUG }));
    await waitReady();
    const caption = (await page.textContent('#selection')) ?? '';
    for (const part of [
      DEMO_SLUG,
      `dataset ${DATASET}`,
      'analysis period week',
      'enrollments basis',
      'segment all',
    ]) {
      assert.ok(caption.includes(part), `the caption names ${part}: ${caption}`);
    }
    assert.match(caption, /metric \S+, statistic \S+/);
    assert.match(caption, /95% confidence intervals/);
    assert.match(
      (await page.textContent('#written')) ?? '',
      /^results written .* · computed by contrail \S+\+\S+, config working tree · preview tables, deleted after /,
    );
    const header = await page.$$eval('#numbers-table thead th', (ths) =>
      ths.map((th) => th.textContent ?? ''),
    );
    assert.deepEqual(header, [
      'window (week since enrollment)',
      'branch',
      'comparison',
      'parameter',
      'point estimate',
      'lower (95% interval)',
      'upper (95% interval)',
      'interval excludes no change',
    ]);
    const captions = await page.$$eval('figure.chart figcaption', (f) => f.map((c) => c.textContent ?? ''));
    assert.ok(
      captions.every((c) => /95% intervals$/.test(c)),
      captions.join('\n'),
    );
    // Nothing is drawn for the reference branch on the comparison charts: their legends leave it out.
    const legends = await page.$$eval('figure.chart', (figures) =>
      figures.map((f) => ({
        id: f.getAttribute('data-comparison') ?? '',
        names: [...f.querySelectorAll('[class$="-swatch"]')].map((s) => (s.textContent ?? '').trim()),
      })),
    );
    for (const { id, names } of legends) {
      assert.ok(names.length > 0, `${id} has a legend`);
      assert.equal(names.includes('control'), id === 'absolute', `${id}: ${names.join(', ')}`);
    }
    const verdicts = await page.$$eval('#numbers-table tbody tr', (trs) =>
      trs.map((tr) => ({
        comparison: tr.getAttribute('data-comparison') ?? '',
        significant: tr.getAttribute('data-significant') ?? '',
        text: tr.lastElementChild?.textContent ?? '',
        title: tr.lastElementChild?.getAttribute('title') ?? null,
        to: tr.getAttribute('data-to') ?? '',
        lower: Number(tr.children[5]?.getAttribute('data-value')),
        upper: Number(tr.children[6]?.getAttribute('data-value')),
      })),
    );
    assert.ok(
      verdicts.some((v) => v.comparison !== ''),
      'comparison rows shown',
    );
    for (const v of verdicts) {
      const expected = v.comparison === '' ? '' : excludesNoChange(v.lower, v.upper) ? 'yes' : 'no';
      assert.equal(v.significant, expected);
      // Which way a significant branch differs, in words.
      const words = expected === 'yes' ? `yes: ${v.lower > 0 ? 'higher' : 'lower'} than ${v.to}` : expected;
      // A row with nothing to judge (a branch's own value) shows the dash of a missing number, saying why.
      assert.equal(v.text, words === '' ? NO_VALUE : words, JSON.stringify(v));
      assert.equal(v.title?.startsWith('no interval to judge') ?? false, words === '', JSON.stringify(v));
    }
  });

  test('a link to an experiment the dataset lacks shows the dataset, saying why', async () => {
    await page.goto(dashboardUrl({ port: server.port, dataset: DATASET, experiment: 'no-such-experiment' }));
    await waitReady();
    assert.equal(await page.inputValue('#dataset'), DATASET);
    assert.equal(await page.inputValue('#experiment'), 'contrail_demo_sidebar');
    const notices = await page.locator('#notices li').allTextContents();
    assert.ok(
      notices.some(
        (n) =>
          n.includes("experiment 'no-such-experiment' has no statistics tables") &&
          n.endsWith(`; showing ${DEMO_SLUG} in dataset '${DATASET}' instead`),
      ),
      notices.join('\n'),
    );
    // A dataset whose runs all failed (only their logs) is offered too, marked as holding no results.
    const warehouse = await openDuckDbWarehouse({ path: warehousePath });
    try {
      await warehouse.writeRows({
        destination: { dataset: 'failed_only', table: LOGS_TABLE },
        columns: LOG_COLUMNS,
        rows: [],
      });
    } finally {
      await warehouse.close();
    }
    // A dataset name that is no dataset: the default dataset, saying why.
    await page.goto(`${server.url}?dataset=${encodeURIComponent('no such dataset')}`);
    await waitReady();
    assert.equal(await page.inputValue('#dataset'), DATASET);
    // The datasets there are: not 'contrail', a name the dashboard knows but nothing was written to.
    assert.deepEqual(await page.locator('#dataset option').allTextContents(), [
      'failed_only (no results: run logs only)',
      DATASET,
    ]);
    assert.match(
      (await page.locator('#notices li').allTextContents()).join('\n'),
      new RegExp(`invalid dataset.*; showing ${DEMO_SLUG} in dataset '${DATASET}' instead`),
    );
    // A dataset that is not there, with an experiment: said once, though asked twice.
    await page.goto(`${server.url}?dataset=nothing_here&experiment=${DEMO_SLUG}`);
    await waitReady();
    assert.equal(await page.inputValue('#dataset'), DATASET);
    const refused = await page.locator('#notices li').allTextContents();
    assert.equal(
      refused.filter((n) => n.startsWith("dataset 'nothing_here' holds no contrail results")).length,
      1,
      refused.join('\n'),
    );
  });

  test('on a phone-sized screen the page does not scroll sideways, long metric names included', async () => {
    // A metric named as long as config authors name them, in a dataset of its own.
    const metric = 'a_metric_named_the_way_config_authors_name_them_when_nobody_stops_them_v2';
    const warehouse = await openDuckDbWarehouse({ path: warehousePath });
    try {
      await warehouse.writeRows({
        destination: { dataset: 'long_names', table: 'statistics_long_exp_week_1' },
        columns: STATISTICS_COLUMNS,
        rows: [
          ...['control', 'treatment'].map((branch) => statisticRow({ metric, branch })),
          ...(['difference', 'relative_uplift'] as const).map((comparison) =>
            statisticRow({ metric, branch: 'treatment', comparison, comparison_to_branch: 'control' }),
          ),
        ],
      });
    } finally {
      await warehouse.close();
    }
    const narrow = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      for (const dataset of [DATASET, 'long_names']) {
        await narrow.goto(dashboardUrl({ port: server.port, dataset }));
        await narrow.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
        const width = await narrow.$eval('html', (html) => html.scrollWidth);
        assert.ok(width <= 390, `${dataset}: the page is ${width} px wide on a 390 px screen`);
      }
      assert.equal(await narrow.inputValue('#metric'), metric);
      const captions = await narrow.$$eval('figure.chart figcaption', (cs) =>
        cs.map((c) => ({ scroll: c.scrollWidth, client: c.clientWidth })),
      );
      assert.ok(captions.length > 0 && captions.every((c) => c.scroll <= c.client), JSON.stringify(captions));
      // Each y-axis label stays inside its chart, the comparison it counts in included.
      const axes = await narrow.$$eval('[aria-label="y-axis label"]', (labels) =>
        labels.map((l) => ({
          text: l.textContent ?? '',
          right: l.getBoundingClientRect().right,
          edge: l.closest('svg')?.getBoundingClientRect().right ?? 0,
        })),
      );
      assert.equal(axes.length, 3, JSON.stringify(axes));
      assert.ok(
        axes.every((a) => a.right <= a.edge),
        `y-axis labels past their chart's edge: ${JSON.stringify(axes)}`,
      );
      assert.ok(
        ['(difference)', '(relative uplift)'].every((c) => axes.some((a) => a.text.endsWith(c))),
        JSON.stringify(axes),
      );
    } finally {
      await narrow.close();
    }
  });

  test('while the server is gone the filters keep naming what is shown; the page loads again when it is back', async () => {
    await page.goto(dashboardUrl({ port: server.port, dataset: DATASET, experiment: DEMO_SLUG }));
    await waitReady();
    assert.equal(await page.inputValue('#period'), 'week');
    const port = server.port;
    await server.close();
    await page.selectOption('#period', 'overall');
    await page.waitForSelector('body[data-state="error"]', { timeout: 30_000 });
    assert.match((await page.textContent('#status')) ?? '', /does not answer.*still shows .*week/);
    assert.equal(await page.inputValue('#period'), 'week', 'the filter names the numbers still shown');
    server = await serve(port);
    // The page asks again by itself and shows what was asked for.
    await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 });
    assert.equal(await page.inputValue('#period'), 'overall');
  });
  test('a relative uplift of tenths of a percent keeps distinct tick labels', async () => {
    const warehouse = await openDuckDbWarehouse({ path: warehousePath });
    try {
      const row = (
        branch: string,
        comparison: string | null,
        point: number,
        lower: number,
        upper: number,
      ) => ({
        metric: 'retained',
        statistic: 'mean',
        parameter: null,
        branch,
        comparison,
        comparison_to_branch: comparison === null ? null : 'control',
        ci_width: 0.95,
        point,
        lower,
        upper,
        segment: 'all',
        analysis_basis: 'enrollments',
        window_index: '1',
      });
      await warehouse.writeRows({
        destination: { dataset: 'small_uplift', table: 'statistics_small_exp_week_1' },
        columns: STATISTICS_COLUMNS,
        rows: [
          row('control', null, 0.5, 0.49, 0.51),
          row('treatment', null, 0.501, 0.491, 0.511),
          row('treatment', 'relative_uplift', 0.002, -0.001, 0.005),
        ],
      });
    } finally {
      await warehouse.close();
    }
    await page.goto(dashboardUrl({ port: server.port, dataset: 'small_uplift' }));
    await waitReady();
    const ticks = await page
      .locator('figure.chart[data-comparison="relative_uplift"] g[aria-label="y-axis tick label"] text')
      .allTextContents();
    assert.ok(ticks.length >= 3, ticks.join(' '));
    assert.equal(new Set(ticks).size, ticks.length, `tick labels repeat: ${ticks.join(' ')}`);
  });

  test('results with no value at all say so in each chart and show a dash in the numbers, not bare axes and blanks', async () => {
    // What a statistic that failed on every window writes: its rows, every estimate and bound null.
    const empty = { point: null, lower: null, upper: null };
    const warehouse = await openDuckDbWarehouse({ path: warehousePath });
    try {
      await warehouse.writeRows({
        destination: { dataset: 'null_results', table: 'statistics_failed_exp_week_1' },
        columns: STATISTICS_COLUMNS,
        rows: [
          statisticRow({ branch: 'control', ...empty }),
          statisticRow({ branch: 'treatment', ...empty }),
          statisticRow({
            branch: 'treatment',
            comparison: 'difference',
            comparison_to_branch: 'control',
            ...empty,
          }),
          statisticRow({
            branch: 'treatment',
            comparison: 'relative_uplift',
            comparison_to_branch: 'control',
            ...empty,
          }),
        ],
      });
    } finally {
      await warehouse.close();
    }
    await page.goto(dashboardUrl({ port: server.port, dataset: 'null_results' }));
    await waitReady();
    const charts = await page.$$eval('figure.chart', (figures) =>
      figures.map((f) => ({
        id: f.getAttribute('data-comparison'),
        drawn: f.querySelector('svg') !== null,
        note: f.querySelector('p.note')?.textContent ?? '',
      })),
    );
    assert.deepEqual(
      charts.map((c) => [c.id, c.drawn]),
      [
        ['absolute', false],
        ['difference', false],
        ['relative_uplift', false],
      ],
      'no chart draws axes around nothing',
    );
    for (const c of charts)
      assert.match(c.note, /^nothing to draw: .* \(null in the statistics table\)/, c.note);
    const numbers = await page.$$eval('#numbers-table tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td.num')].slice(1).map((td) => td.textContent)),
    );
    assert.deepEqual(numbers, [
      ['–', '–', '–'],
      ['–', '–', '–'],
      ['–', '–', '–'],
      ['–', '–', '–'],
    ]);
  });

  test('Back and Forward step through the selections made on the page, not out of the dashboard', async () => {
    /** Waits until the page shows this period and metric (after Back, the page loads it anew). */
    async function waitShown(period: string, metric: string): Promise<void> {
      await page.waitForSelector(`#period option[value="${period}"]:checked`, {
        state: 'attached',
        timeout: 30_000,
      });
      await page.waitForSelector(`#metric option[value="${metric}"]:checked`, {
        state: 'attached',
        timeout: 30_000,
      });
      await waitReady();
    }
    await page.goto(dashboardUrl({ port: server.port, dataset: DATASET, experiment: DEMO_SLUG }));
    await waitReady();
    assert.equal(await page.inputValue('#period'), 'week');
    const firstMetric = await page.inputValue('#metric');
    assert.notEqual(firstMetric, 'search_count');
    await page.selectOption('#period', 'overall');
    await waitShown('overall', firstMetric);
    await page.locator('#overview-table tr[data-metric="search_count"]').click();
    await waitShown('overall', 'search_count');

    await page.goBack();
    const back = new URL(page.url()).searchParams;
    assert.deepEqual(
      [back.get('dataset'), back.get('period'), back.get('metric')],
      [DATASET, 'overall', firstMetric],
      'Back returns to the selection before the last one',
    );
    await waitShown('overall', firstMetric);
    // What is shown after Back is the selection's own numbers, not the later one's.
    await checkAgainst(
      await statistics('overall', firstMetric, await page.inputValue('#statistic')),
      `back to overall ${firstMetric}`,
    );
    await page.goBack();
    await waitShown('week', firstMetric);
    assert.equal(new URL(page.url()).searchParams.get('period'), 'week');
    await page.goForward();
    await waitShown('overall', firstMetric);
    await page.goForward();
    await waitShown('overall', 'search_count');
  });
});
