/**
 * The results page: filters in the URL, one request per change (`/api/view`), charts drawn with
 * Observable Plot, the numbers, the SQL, the run's errors and the per-query costs. Plain DOM:
 * the page is a handful of tables and three charts, which a framework would not make simpler.
 */
import type { ErrorResponse, FilterKey, ViewResponse } from '../api.js';
import { intervalLevel, periodChoice, selectionCaption, shownStatus, writtenLine } from '../labels.js';
import { drawCharts } from './charts.js';
import { byId, clear, element, formatNumber } from './dom.js';
import { renderCosts, renderErrors, renderNumbers, renderSql } from './panels.js';

/** Filters the server resolves, in the order a change to one resets the ones after it. */
const SERVER_FILTERS: FilterKey[] = ['experiment', 'period', 'basis', 'segment', 'metric', 'statistic'];
/** Filters the page applies to the rows it has (they need no new request). */
const PAGE_FILTERS = ['parameter', 'reference'] as const;
type PageFilter = (typeof PAGE_FILTERS)[number];

let current: ViewResponse | null = null;
let requestSeq = 0;
let retryTimer: ReturnType<typeof setTimeout> | null = null;

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

/** How long the page waits before asking again when the server is busy or gone. */
const RETRY_MS = 2000;

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

async function load(params: URLSearchParams, carried: string[] = []): Promise<void> {
  if (retryTimer !== null) clearTimeout(retryTimer);
  retryTimer = null;
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
      `the dashboard server does not answer (${String(error)}); asking again every ${RETRY_MS / 1000} s`,
    );
    retryTimer = setTimeout(() => void load(params, carried), RETRY_MS);
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
      void load(fallback, [...carried, problem.error]);
      return;
    }
    showFailure(problem.error);
    if (problem.retry) retryTimer = setTimeout(() => void load(params, carried), RETRY_MS);
    return;
  }
  current = body as ViewResponse;
  if (carried.length > 0) current = { ...current, notices: [...carried, ...current.notices] };
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
  window.history.replaceState(null, '', `?${next}`);
  renderReady(current, next);
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

/** A page filter's value: the URL's when it is offered, else the preferred one, else the first. */
function pageFilter(key: PageFilter, values: string[], preferred: string | null, params: URLSearchParams) {
  const wanted = params.get(key);
  if (wanted !== null && values.includes(wanted)) return wanted;
  if (preferred !== null && values.includes(preferred)) return preferred;
  return values[0] ?? null;
}

/** Fills the filters and panels from `view`; returns how many rows the numbers table shows. */
function render(view: ViewResponse, params: URLSearchParams): number {
  const { choices, selection } = view;
  fillSelect('dataset', plain(choices.datasets), selection.dataset);
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

  const parameters = [
    ...new Set(view.rows.map((r) => r.parameter).filter((p): p is string => p !== null)),
  ].sort((a, b) => Number(a) - Number(b));
  const parameter = pageFilter('parameter', parameters, parameters.includes('0.5') ? '0.5' : null, params);
  fillSelect('parameter', plain(parameters), parameter);
  byId('parameter-filter').hidden = parameters.length === 0;

  const references = [
    ...new Set(view.rows.map((r) => r.comparison_to_branch).filter((b): b is string => b !== null)),
  ].sort();
  const reference = pageFilter('reference', references, 'control', params);
  fillSelect('reference', plain(references), reference);
  byId('reference-filter').hidden = references.length <= 1;

  const notices = byId('notices');
  clear(notices);
  for (const n of view.notices) notices.append(element('li', {}, n));

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
    void load(next);
    return;
  }
  params.set(key, target.value);
  if ((PAGE_FILTERS as readonly string[]).includes(key)) {
    window.history.replaceState(null, '', `?${params}`);
    if (current) renderReady(current, params);
    return;
  }
  // A new experiment or period has other choices below it: let the server pick them again,
  // except the metric and statistic, which usually exist across periods and segments.
  if (key === 'experiment') for (const k of SERVER_FILTERS.slice(1)) params.delete(k);
  void load(params);
}

function start(): void {
  byId('filters').addEventListener('change', onChange);
  byId('filters').addEventListener('submit', (e) => e.preventDefault());
  // Without a dataset in the URL the server shows the one it was started for.
  void load(urlParams());
}

start();
