import { type CostFigure, costFigures } from '../../analysis/cost-figures.js';
import type { AnalysisPeriod } from '../../config/periods.js';
import type { StatisticResultRow } from '../../statistics/results.js';
import type { CostsPanel, ErrorsPanel, OverviewPanel, SqlPanel, ViewSelection } from '../api.js';
import {
  billedCell,
  costsExplanation,
  costsTotal,
  costTotals,
  estimateLabel,
  scannedCell,
  showsScanned,
  totalCells,
  unfinishedCell,
  usdCell,
} from '../cost-labels.js';
import {
  comparisonCell,
  errorCell,
  errorColumns,
  errorColumnTitle,
  intervalLevel,
  loggedCount,
  NO_VALUE,
  NO_VALUE_TITLE,
  significantCell,
  verdictCell,
  windowLabel,
} from '../labels.js';
import {
  directionText,
  intervalText,
  type OverviewCell,
  overviewExplanation,
  overviewTable,
  overviewWhen,
  upliftText,
} from '../overview.js';
import { byId, clear, element, fillTable, formatNumber, formatPercent, numberCell } from './dom.js';

/**
 * The numbers behind the charts: one row per window, branch and comparison. The interval
 * columns name their confidence level, and each comparison says whether its interval excludes
 * no change (the CLI's `*`).
 */
export function renderNumbers(
  table: HTMLTableElement,
  rows: StatisticResultRow[],
  period: AnalysisPeriod | null,
): void {
  const level = intervalLevel(rows);
  const body = rows.map((r) => {
    const format = r.comparison === 'relative_uplift' ? formatPercent : formatNumber;
    const significant = significantCell(r);
    const verdict = verdictCell(r);
    return element(
      'tr',
      {
        'data-window': r.window_index,
        'data-branch': r.branch,
        'data-comparison': r.comparison ?? '',
        'data-to': r.comparison_to_branch ?? '',
        'data-parameter': r.parameter ?? '',
        'data-significant': significant,
      },
      element('td', { class: 'num' }, r.window_index),
      element('td', { class: 'branch' }, r.branch),
      element('td', {}, comparisonCell(r.comparison, r.comparison_to_branch)),
      element('td', {}, r.parameter ?? ''),
      statisticCell(r.point, format),
      statisticCell(r.lower, format),
      statisticCell(r.upper, format),
      element(
        'td',
        {
          class: significant === 'yes' ? 'significant' : significant === '' ? 'missing' : '',
          title: verdict.title,
        },
        verdict.text,
      ),
    );
  });
  const bound = (name: string) => (level === null ? name : `${name} (${level} interval)`);
  fillTable(
    table,
    [
      windowLabel(period),
      'branch',
      'comparison',
      'parameter',
      'point estimate',
      bound('lower'),
      bound('upper'),
      'interval excludes no change',
    ],
    body,
  );
}

/** A number of the numbers table; a null one is a dash that says why when pointed at. */
function statisticCell(value: number | null, format: (v: number | null) => string): HTMLTableCellElement {
  if (value !== null) return numberCell(value, format);
  return element('td', { class: 'num missing', title: NO_VALUE_TITLE }, NO_VALUE);
}

/**
 * Every metric at once: one row per metric, one column per branch compared to the reference
 * branch, each cell the relative uplift with its interval and, when the interval excludes zero,
 * which way. The row of the metric the charts show is marked; a click on another selects it.
 */
export function renderOverview(
  panel: OverviewPanel,
  context: {
    selection: Pick<ViewSelection, 'period' | 'basis' | 'segment' | 'metric'>;
    reference: string | null;
  },
): void {
  const table = byId<HTMLTableElement>('overview-table');
  const { reference, branches, lines } = overviewTable(panel, context.reference);
  const rows = panel.metrics.flatMap((m) => m.rows);
  const level = intervalLevel(rows);
  byId('overview-title').textContent =
    reference === null ? 'All metrics' : `All metrics: relative uplift to ${reference}`;
  byId('overview-when').textContent = overviewWhen(panel, context.selection);
  byId('overview-explanation').textContent = reference === null ? '' : overviewExplanation(reference, level);
  byId('overview-without').textContent =
    panel.without.length === 0
      ? ''
      : `not compared here (no statistic with a relative uplift): ${panel.without
          .map((w) => `${w.metric} (${w.statistics.join(', ')})`)
          .join(', ')}`;
  if (reference === null) {
    clear(table);
    return;
  }
  const cell = (c: OverviewCell | null) => {
    if (c === null) return element('td', { class: 'uplift' }, '');
    const words = directionText(c.direction, reference);
    return element(
      'td',
      {
        class: `uplift ${c.direction ?? ''}`,
        'data-branch': c.branch,
        'data-direction': c.direction ?? '',
        'data-value': c.point === null ? null : String(c.point),
        title: words,
      },
      element('span', { class: 'point' }, upliftText(c.point)),
      ' ',
      element('span', { class: 'interval' }, intervalText(c.lower, c.upper)),
      element('span', { class: 'marker' }, words),
    );
  };
  const body = lines.map((line) =>
    element(
      'tr',
      {
        'data-metric': line.metric,
        'data-statistic': line.statistic,
        class: line.metric === context.selection.metric ? 'selected' : null,
        'aria-current': line.metric === context.selection.metric ? 'true' : null,
      },
      element(
        'th',
        { scope: 'row' },
        element('button', { type: 'button', class: 'metric' }, line.metric),
        line.window === panel.window ? '' : element('span', { class: 'note' }, ` (window ${line.window})`),
      ),
      element('td', {}, line.statistic),
      ...line.cells.map(cell),
    ),
  );
  fillTable(
    table,
    [
      'metric',
      'statistic',
      ...branches.map((b) => `${b} vs ${reference}${level === null ? '' : ` (${level} interval)`}`),
    ],
    body,
  );
}

function lineInRanges(line: number, ranges: { start: number; end: number }[]): boolean {
  return ranges.some((r) => line >= r.start && line <= r.end);
}

/** Each query that produced the metric, with its lines numbered, the metric's lines marked and config references listed. */
export function renderSql(panel: SqlPanel): void {
  byId('sql-note').textContent = panel.note ?? '';
  const container = byId('sql-queries');
  clear(container);
  for (const query of panel.queries) {
    const pre = element('pre', { class: 'sql' });
    query.sql.split('\n').forEach((text, i) => {
      const line = i + 1;
      pre.append(
        element(
          'span',
          { class: lineInRanges(line, query.highlight) ? 'line hl' : 'line', 'data-line': line },
          text,
        ),
      );
    });
    const references = element('ul', { class: 'references' });
    for (const ref of query.references) {
      const where =
        ref.sqlLines.start === ref.sqlLines.end
          ? `${ref.sqlLines.start}`
          : `${ref.sqlLines.start}–${ref.sqlLines.end}`;
      references.append(
        element(
          'li',
          { 'data-config-file': ref.config.file, 'data-config-key': ref.config.key },
          `SQL line ${where}${ref.column === null ? '' : ` (${ref.column})`} ← ${ref.config.file}${ref.config.line === null ? '' : `:${ref.config.line}`} ${ref.config.key}`,
        ),
      );
    }
    container.append(
      element(
        'details',
        { class: 'query', 'data-table': query.table },
        element('summary', {}, `${query.table}  (${query.file})`),
        ...(query.references.length > 0 ? [references] : []),
        pre,
      ),
    );
  }
}

export function renderErrors(panel: ErrorsPanel): void {
  const table = byId<HTMLTableElement>('errors-table');
  const note = byId('errors-note');
  if (!panel.present) {
    note.textContent = 'this dataset has no logs table: nothing was logged';
    clear(table);
    return;
  }
  note.textContent =
    panel.rows.length === 0
      ? 'nothing logged for this experiment'
      : loggedCount(panel.rows.length, panel.entries, panel.truncated);
  const columns = errorColumns(panel.columns);
  fillTable(
    table,
    columns.map(errorColumnTitle),
    panel.rows.map((row) =>
      element(
        'tr',
        { 'data-level': row.log_level ?? '' },
        ...columns.map((c) => element('td', { class: c }, errorCell(row, c))),
      ),
    ),
  );
}

export function renderCosts(panel: CostsPanel): void {
  const table = byId<HTMLTableElement>('costs-table');
  const note = byId('costs-note');
  clear(table);
  if (!panel.present) {
    note.textContent =
      'no per-query costs recorded in this dataset (previews keep them in its query_costs table)';
    return;
  }
  const problems = panel.problems.join('\n');
  note.textContent =
    panel.rows.length === 0
      ? `no per-query costs for this experiment${problems ? `\n${problems}` : ''}`
      : [costsExplanation(panel.rows), problems].filter((s) => s !== '').join('\n');
  if (panel.rows.length === 0) return;
  const rows = panel.rows.map((r) => {
    const figures = costFigures(r);
    const unfinished = unfinishedCell(r);
    // An estimate's cell says how it was made when pointed at.
    const how = (figure: CostFigure | null) =>
      figure?.estimated && typeof r.estimate_method === 'string' ? estimateLabel(r.estimate_method) : null;
    return element(
      'tr',
      {},
      element('td', {}, r.analysis_date ?? ''),
      element('td', {}, r.destination),
      element('td', {}, r.stage ?? ''),
      figureCell(figures.billed, billedCell(figures), how(figures.billed), 'billed'),
      figureCell(
        showsScanned(figures) ? figures.scanned : null,
        scannedCell(figures),
        how(figures.scanned),
        'scanned',
      ),
      unfinished === null
        ? numberCell(r.elapsed_ms ?? null)
        : element('td', { class: 'unfinished' }, unfinished),
      figureCell(figures.usd, usdCell(figures), how(figures.usd), 'cost'),
    );
  });
  const total = costTotals(panel.rows);
  const cells = totalCells(total);
  rows.push(
    element(
      'tr',
      { class: 'total' },
      element('th', { scope: 'row', colspan: 3 }, costsTotal(panel.rows.length, total.unfinished)),
      figureCell(total.billed, cells.billed, null, 'billed'),
      figureCell(showsScanned(total) ? total.scanned : null, cells.scanned, null, 'scanned'),
      numberCell(total.elapsedMs),
      figureCell(total.usd, cells.usd, null, 'cost'),
    ),
  );
  fillTable(table, ['date', 'query (table)', 'stage', 'billed', 'scanned', 'ms', 'cost'], rows);
}

/**
 * A cell of bytes or dollars: its text, the exact value in `data-value`, and an estimate
 * marked (`estimate` class, how it was made as its title).
 */
function figureCell(
  figure: { value: number; estimated: boolean } | null,
  text: string,
  title: string | null,
  column: string,
): HTMLTableCellElement {
  return element(
    'td',
    {
      class: `num ${column}${figure?.estimated ? ' estimate' : ''}`,
      'data-value': figure === null ? null : String(figure.value),
      title,
    },
    text,
  );
}
