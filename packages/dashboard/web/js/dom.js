/** Small DOM helpers: build elements, fill tables, format figures. */

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  return node;
}

/** Replaces a table body's rows; `row` returns a <tr>. */
export function fillRows(table, items, row, empty = 'Nothing here.') {
  const body = table.tBodies[0];
  const columns = table.tHead.rows[0].cells.length;
  body.replaceChildren(...(items.length ? items.map(row) : [el('tr', {}, el('td', { colspan: columns, class: 'muted' }, empty))]));
}

export const num = (value) => (value === null || value === undefined ? '–' : Number(value).toLocaleString('en-US', { maximumFractionDigits: 2 }));

export function duration(ms) {
  if (ms === null || ms === undefined) return '–';
  const seconds = ms / 1000;
  if (seconds < 1) return `${Math.round(ms)} ms`;
  if (seconds < 90) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** p50 / p95 / p99 in seconds, or a dash before anything finished. */
export const percentiles = (p) => (p ? `${p.p50.toFixed(2)} / ${p.p95.toFixed(2)} / ${p.p99.toFixed(2)} s` : '–');

export const time = (ms) => (ms ? new Date(ms).toLocaleString('en-GB', { hour12: false }) : '–');

export const badge = (text, kind = text) => el('span', { class: `badge ${kind}` }, text);

export const cell = (col, ...children) => el('td', { dataset: { col } }, ...children);
export const numCell = (col, value) => el('td', { class: 'num', dataset: { col } }, num(value));
