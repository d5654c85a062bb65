/**
 * The results page: filters in the URL, one request per change (`/api/view`), charts drawn with
 * Observable Plot, the numbers, the SQL, the run's errors and the per-query costs. Plain DOM:
 * the page is a handful of tables and three charts, which a framework would not make simpler.
 */
import type { ErrorResponse, FilterKey, ViewResponse } from '../api.js';
import { pageFilters } from '../filters.js';
import {
  intervalLevel,
  periodChoice,
  selectionCaption,
  shownInstead,
  shownStatus,
  writtenLine,
} from '../labels.js';
import { retryDelayMs } from '../retry.js';
import { drawCharts } from './charts.js';
import { byId, clear, element, formatNumber } from './dom.js';
import { renderCosts, renderErrors, renderNumbers, renderOverview, renderSql } from './panels.js';

/** Filters the server resolves, in the order a change to one resets the ones after it. */
const SERVER_FILTERS: FilterKey[] = ['experiment', 'period', 'basis', 'segment', 'metric', 'statistic'];
/** Filters the page applies to the rows it has (they need no new request). */
const PAGE_FILTERS = ['parameter', 'reference'] as const;

let current: ViewResponse | null = null;
let requestSeq = 0;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
/** Retries in a row of the same request: each waits longer (see retryDelayMs). */
let retries = 0;

/**
 * How a shown selection goes into the address bar: one the reader chose on the page is a new
 * history entry, so the browser's Back button returns to the previous selection instead of
 * leaving the dashboard; the first load, a fallback and a step back or forward replace the entry
 * they show.
 */
type HistoryEntry = 'push' | 'replace';

function writeAddress(params: URLSearchParams, entry: HistoryEntry): void {
  const search = `?${params}`;
  if (entry === 'push' && search !== window.location.search) window.history.pushState(null, '', search);
  else window.history.replaceState(null, '', search);
}

function setState(state: 'loading' | 'ready' | 'error', message: string): void {
  document.body.dataset.state = state;
  byId('status').textContent = message;
}

function fillSelect(id: string, values: { value: string; label: string }[], selected: string | null): void {
  const select = byId<HTMLSelectElement>(id);
  clear(select);
  for (const v of values) select.append(element('option', { value: v.value }, v.label));
  select.value = selected ?? '';
  select.disabled = values.length === 0;
}

const plain = (values: string[]) => values.map((v) => ({ value: v, label: v }));

/** The page's URL parameters (dataset, filters), as shown in the address bar. */
function urlParams(): URLSearchParams {
  return new URLSearchParams(window.location.search);
}

/** Asks for `params` again after a wait that grows with each retry in a row; returns the wait's words. */
function retryLater(params: URLSearchParams, carried: string[], entry: HistoryEntry): string {
  const ms = retryDelayMs(retries);
  retries += 1;
  retryTimer = setTimeout(() => void load(params, carried, true, entry), ms);
  return `asking again in ${ms / 1000} s`;
}

/**
 * After a request fails, the filters show again what the charts and numbers belong to (a
 * changed filter over the previous selection's numbers would label them wrongly), and the
 * status says what failed and that the page still shows the earlier results.
 */
function showFailure(message: string): void {
  if (current !== null) {
    byId<HTMLSelectElement>('dataset').value = current.selection.dataset;
    for (const key of SERVER_FILTERS) byId<HTMLSelectElement>(key).value = current.selection[key] ?? '';
    setState('error', `${message} (the page still shows ${describe(current)})`);
  } else {
    setState('error', message);
  }
}

/** Whether the view has results to chart: an experiment whose runs wrote none has only its errors. */
const hasResults = (view: ViewResponse) => view.selection.period !== null;

function describe(view: ViewResponse): string {
  const who = view.choices.experiments.find((e) => e.slug === view.selection.experiment);
  if (view.selection.experiment === null) return `dataset ${view.selection.dataset}`;
  const name = `${who?.name ?? view.selection.experiment} in ${view.selection.dataset}`;
  return hasResults(view) ? `${name}, ${view.selection.period}, ${view.selection.metric}` : name;
}

/** Only the dataset of `params`: what the page falls back to when a link names what is not there. */
function datasetOnly(params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams();
  const dataset = params.get('dataset');
  if (dataset !== null) next.set('dataset', dataset);
  return next;
}

async function load(
  params: URLSearchParams,
  carried: string[] = [],
  retrying = false,
  entry: HistoryEntry = 'replace',
): Promise<void> {
  if (retryTimer !== null) clearTimeout(retryTimer);
  retryTimer = null;
  if (!retrying) retries = 0;
  const seq = ++requestSeq;
  setState('loading', 'loading…');
  let response: Response;
  let body: ViewResponse | ErrorResponse;
  try {
    response = await fetch(`/api/view?${params}`);
    body = (await response.json()) as ViewResponse | ErrorResponse;
  } catch (error) {
    if (seq !== requestSeq) return;
    // A restarted server answers again at the same address: keep asking until it does.
    showFailure(
      `the dashboard server does not answer (${String(error)}); ${retryLater(params, carried, entry)}`,
    );
    return;
  }
  if (seq !== requestSeq) return; // a newer request superseded this one
  if (!response.ok) {
    const problem = body as ErrorResponse;
    if (!problem.retry && current === null && [...params.keys()].length > 0) {
      // A link to an experiment (or filter) the dataset does not have: show the dataset instead
      // of an empty page, and say why; a dataset name that is no dataset: the default one.
      const fallback = [...params.keys()].some((k) => k !== 'dataset')
        ? datasetOnly(params)
        : new URLSearchParams();
      // A link naming a dataset that is not there and more is refused twice with the same words
      // (with its filters, then without): the page says it once.
      void load(fallback, carried.includes(problem.error) ? carried : [...carried, problem.error]);
      return;
    }
    showFailure(problem.retry ? `${problem.error}; ${retryLater(params, carried, entry)}` : problem.error);
    return;
  }
  current = body as ViewResponse;
  if (carried.length > 0) {
    const view = current;
    const who = view.choices.experiments.find((e) => e.slug === view.selection.experiment);
    const shown = {
      dataset: view.selection.dataset,
      experiment: view.selection.experiment === null ? null : (who?.name ?? view.selection.experiment),
    };
    current = { ...view, notices: [...carried.map((c) => shownInstead(c, shown)), ...view.notices] };
  }
  const next = new URLSearchParams();
  next.set('dataset', current.selection.dataset);
  for (const key of SERVER_FILTERS) {
    const value = current.selection[key];
    if (value !== null) next.set(key, value);
  }
  for (const key of PAGE_FILTERS) {
    const value = params.get(key);
    if (value !== null) next.set(key, value);
  }
  writeAddress(next, entry);
  renderReady(current, next);
  if (current.choices.experiments.length === 0) {
    // Nothing written to this dataset yet (a first preview is running): show its results once
    // they are, as the page does while the warehouse file does not exist yet.
    byId('status').textContent += `; ${retryLater(params, carried, 'replace')}`;
  }
}

/** Renders `view` and says in the status line what is shown. */
function renderReady(view: ViewResponse, params: URLSearchParams): void {
  const rowsShown = render(view, params);
  setState(
    'ready',
    !hasResults(view)
      ? `${describe(view)}: no results`
      : shownStatus(describe(view), rowsShown, formatNumber(view.warehouseMs)),
  );
}

/** Fills the filters and panels from `view`; returns how many rows the numbers table shows. */
function render(view: ViewResponse, params: URLSearchParams): number {
  const { choices, selection } = view;
  fillSelect(
    'dataset',
    choices.datasets.map((d) => ({
      value: d.name,
      label: d.noResults ? `${d.name} (no results: run logs only)` : d.name,
    })),
    selection.dataset,
  );
  fillSelect(
    'experiment',
    choices.experiments.map((e) => ({
      value: e.slug,
      label: e.noResults ? `${e.name} (no results)` : e.name,
    })),
    selection.experiment,
  );
  fillSelect(
    'period',
    choices.periods.map((p) => ({
      value: p.period,
      label: periodChoice(p.period, p.windows.length),
    })),
    selection.period,
  );
  fillSelect('basis', plain(choices.bases), selection.basis);
  fillSelect('segment', plain(choices.segments), selection.segment);
  fillSelect('metric', plain(choices.metrics), selection.metric);
  fillSelect('statistic', plain(choices.statistics), selection.statistic);

  const {
    parameters,
    parameter,
    references,
    reference,
    notices: pageNotices,
  } = pageFilters(view.rows, {
    parameter: params.get('parameter'),
    reference: params.get('reference'),
  });
  if (pageNotices.length > 0) {
    // The address names what is shown, as for the server's filters: the notice says what was asked.
    for (const [key, value] of [
      ['parameter', parameter],
      ['reference', reference],
    ] as const) {
      if (value !== null && params.has(key)) params.set(key, value);
    }
    window.history.replaceState(null, '', `?${params}`);
  }
  fillSelect('parameter', plain(parameters), parameter);
  byId('parameter-filter').hidden = parameters.length === 0;
  fillSelect('reference', plain(references), reference);
  byId('reference-filter').hidden = references.length <= 1;

  const notices = byId('notices');
  clear(notices);
  for (const n of [...view.notices, ...pageNotices]) notices.append(element('li', {}, n));

  const rows = view.rows.filter(
    (r) =>
      (parameter === null || r.parameter === parameter) &&
      (r.comparison === null || r.comparison_to_branch === reference),
  );
  const who = choices.experiments.find((e) => e.slug === selection.experiment);
  const shown = hasResults(view);
  byId('selection').textContent = !shown
    ? ''
    : selectionCaption(selection, {
        experimentName: who?.name ?? null,
        parameter,
        reference: references.length > 0 ? reference : null,
        level: intervalLevel(rows),
      });
  byId('written').textContent = shown ? writtenLine(view.written, Date.now()) : '';
  // Without results there is nothing to chart: no empty charts and table pretending otherwise.
  byId('overview').hidden = !shown;
  byId('charts').hidden = !shown;
  byId('numbers').hidden = !shown;
  drawCharts(byId('charts'), rows, {
    metric: selection.metric ?? '',
    statistic: selection.statistic ?? '',
    parameter,
    reference,
    windows: choices.periods.find((p) => p.period === selection.period)?.windows ?? [],
    period: selection.period,
  });
  renderOverview(view.overview, { selection, reference: references.length > 0 ? reference : null });
  renderNumbers(byId<HTMLTableElement>('numbers-table'), rows, selection.period);
  renderSql(view.sql);
  renderErrors(view.errors);
  renderCosts(view.costs);
  return rows.length;
}

function onChange(event: Event): void {
  const target = event.target as HTMLSelectElement;
  const params = urlParams();
  const key = target.name;
  if (key === 'dataset') {
    // Another dataset has other experiments: start over with its defaults.
    const next = new URLSearchParams();
    next.set('dataset', target.value.trim());
    void load(next, [], false, 'push');
    return;
  }
  params.set(key, target.value);
  if ((PAGE_FILTERS as readonly string[]).includes(key)) {
    writeAddress(params, 'push');
    if (current) renderReady(current, params);
    return;
  }
  // A new experiment or period has other choices below it: let the server pick them again,
  // except the metric and statistic, which usually exist across periods and segments.
  if (key === 'experiment') for (const k of SERVER_FILTERS.slice(1)) params.delete(k);
  void load(params, [], false, 'push');
}

/** A click on a metric's row of the overview shows that metric, by the statistic the overview used. */
function onOverviewClick(event: Event): void {
  const row = (event.target as Element).closest<HTMLTableRowElement>('tr[data-metric]');
  if (row === null || current === null) return;
  const { metric, statistic } = row.dataset;
  if (metric === undefined || statistic === undefined) return;
  if (metric === current.selection.metric && statistic === current.selection.statistic) return;
  const params = urlParams();
  params.set('metric', metric);
  params.set('statistic', statistic);
  void load(params, [], false, 'push');
}

function start(): void {
  byId('overview-table').addEventListener('click', onOverviewClick);
  byId('filters').addEventListener('change', onChange);
  byId('filters').addEventListener('submit', (e) => e.preventDefault());
  // Back or Forward to an earlier selection: show what that address names.
  window.addEventListener('popstate', () => void load(urlParams()));
  // Without a dataset in the URL the server shows the one it was started for.
  void load(urlParams());
}

start();
