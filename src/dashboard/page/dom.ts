/** Small DOM helpers: the page builds its tables and panels from these. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

export function clear(node: Element): void {
  node.replaceChildren();
}

type Attributes = Record<string, string | number | boolean | null | undefined>;

/** An element with attributes (`null`/`undefined`/`false` leave one out) and text or child nodes. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children);
  return node;
}

/** Four significant digits, without exponent for everyday magnitudes. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e9) {
    return value.toLocaleString('en-US', { maximumSignificantDigits: 4, useGrouping: magnitude >= 1e4 });
  }
  return value.toExponential(3);
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  return `${value > 0 ? '+' : ''}${formatNumber(value * 100)}%`;
}

/** A table from a header row and body rows of cells. */
export function fillTable(table: HTMLTableElement, header: string[], rows: HTMLTableRowElement[]): void {
  clear(table);
  const head = element(
    'thead',
    {},
    element('tr', {}, ...header.map((h) => element('th', { scope: 'col' }, h))),
  );
  table.append(head, element('tbody', {}, ...rows));
}

/** A numeric cell: the full-precision value in `data-value`, a readable one as text. */
export function numberCell(value: number | null, format: (v: number | null) => string = formatNumber) {
  return element('td', { class: 'num', 'data-value': value === null ? null : String(value) }, format(value));
}
