import * as Plot from '@observablehq/plot';
import type { AnalysisPeriod } from '../../config/periods.js';
import type { StatisticResultRow } from '../../statistics/results.js';
import {
  axisLabel,
  branchColours,
  comparisonCell,
  comparisonTitle,
  intervalLevel,
  nothingToDraw,
  windowLabel,
} from '../labels.js';
import { clear, element } from './dom.js';

/** One chart per comparison, as jetstream's results are read: per-branch values, then both comparisons. */
const COMPARISON_CHARTS = [
  { comparison: null, id: 'absolute', title: comparisonTitle(null) },
  { comparison: 'difference', id: 'difference', title: comparisonTitle('difference') },
  { comparison: 'relative_uplift', id: 'relative_uplift', title: comparisonTitle('relative_uplift') },
] as const;

export interface ChartContext {
  metric: string;
  statistic: string;
  parameter: string | null;
  reference: string | null;
  /** Every window of the period, so the x axis is the same on all three charts. */
  windows: number[];
  period: AnalysisPeriod | null;
}

interface Point {
  window: number;
  branch: string;
  point: number | null;
  lower: number | null;
  upper: number | null;
}

const WIDTH = 420;
const HEIGHT = 260;

/**
 * Draws the three charts: x is the analysis window, one line per branch with its confidence
 * band (lower…upper) as an area and, at each window, a rule from lower to upper (the only
 * mark left when a period has one window). Each chart records its y scale on its element
 * (`data-y-domain`, `data-y-range`) so what is drawn can be read back in pixels and checked.
 */
export function drawCharts(container: HTMLElement, rows: StatisticResultRow[], context: ChartContext): void {
  clear(container);
  const branches = [...new Set(rows.map((r) => r.branch))].sort();
  const windows =
    context.windows.length > 0 ? context.windows : [...new Set(rows.map((r) => Number(r.window_index)))];
  const xDomain = [Math.min(...windows) - 0.5, Math.max(...windows) + 0.5];
  for (const chart of COMPARISON_CHARTS) {
    const points: Point[] = rows
      .filter((r) => r.comparison === chart.comparison)
      .map((r) => ({
        window: Number(r.window_index),
        branch: r.branch,
        point: r.point,
        lower: r.lower,
        upper: r.upper,
      }))
      .sort((a, b) => a.branch.localeCompare(b.branch) || a.window - b.window);
    const level = intervalLevel(rows.filter((r) => r.comparison === chart.comparison));
    const caption = `${
      chart.comparison === null ? chart.title : comparisonCell(chart.comparison, context.reference)
    }: ${context.metric}, ${context.statistic}${context.parameter === null ? '' : ` at ${context.parameter}`}${
      level === null ? '' : `, ${level} intervals`
    }`;
    const figure = element(
      'figure',
      { class: 'chart', 'data-comparison': chart.id, 'data-points': points.length },
      element('figcaption', {}, caption),
    );
    container.append(figure);
    if (points.length === 0) {
      figure.append(element('p', { class: 'note' }, 'no rows for this comparison'));
      continue;
    }
    // Rows whose estimate and interval are all null (a statistic that failed, windows with no
    // telemetry) would leave bare axes, read as a chart that failed to draw: say so instead.
    if (!points.some((p) => p.point !== null || (p.lower !== null && p.upper !== null))) {
      figure.append(element('p', { class: 'note' }, nothingToDraw(points.length)));
      continue;
    }
    const relative = chart.comparison === 'relative_uplift';
    const here = branches.filter((b) => points.some((p) => p.branch === b));
    const marks: Plot.Markish[] = [];
    if (chart.comparison !== null) marks.push(Plot.ruleY([0], { stroke: '#999' }));
    here.forEach((branch, i) => {
      const mine = points.filter((p) => p.branch === branch);
      const banded = mine.filter((p) => p.lower !== null && p.upper !== null);
      // Rules of the branches side by side, so overlapping intervals stay visible.
      const dx = (i - (here.length - 1) / 2) * 5;
      marks.push(
        Plot.areaY(banded, {
          x: 'window',
          y1: 'lower',
          y2: 'upper',
          fill: () => branch,
          fillOpacity: 0.15,
          dx,
          ariaDescription: `band ${branch}`,
          className: 'band',
        }),
        Plot.ruleX(banded, {
          x: 'window',
          y1: 'lower',
          y2: 'upper',
          stroke: () => branch,
          strokeWidth: 2,
          dx,
          ariaDescription: `band edges ${branch}`,
          className: 'band-edges',
          title: (p: Point) => `${branch}, window ${p.window}: ${p.lower} … ${p.upper}`,
        }),
        Plot.lineY(
          mine.filter((p) => p.point !== null),
          { x: 'window', y: 'point', stroke: () => branch, dx, ariaDescription: `line ${branch}` },
        ),
        Plot.dot(
          mine.filter((p) => p.point !== null),
          {
            x: 'window',
            y: 'point',
            fill: () => branch,
            dx,
            r: 3,
            ariaDescription: `points ${branch}`,
            title: (p: Point) => `${branch}, window ${p.window}: ${p.point}`,
          },
        ),
      );
    });
    const plot = Plot.plot({
      width: WIDTH,
      height: HEIGHT,
      marginLeft: 60,
      x: { domain: xDomain, ticks: windows, tickFormat: 'd', label: windowLabel(context.period) },
      y: {
        grid: true,
        nice: true,
        label: axisLabel(context.metric, chart.comparison),
        // As many decimals as the ticks need: an uplift of a few tenths of a percent is common.
        ...(relative ? { tickFormat: '+~%' } : {}),
      },
      color: { ...branchColours(branches, here), legend: true },
      marks,
    });
    const y = plot.scale('y');
    figure.dataset.yDomain = JSON.stringify(y?.domain ?? null);
    figure.dataset.yRange = JSON.stringify(y?.range ?? null);
    figure.append(plot);
  }
}
