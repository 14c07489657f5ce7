import { getJson } from './api.js';
import { cell, el, fillRows, numCell, time } from './dom.js';

export async function loadUsage(resolution) {
  const { usage } = await getJson('usage', { resolution });
  const rows = [...usage].sort((a, b) => b.t - a.t || a.owner.localeCompare(b.owner));
  fillRows(
    document.getElementById('usage-table'),
    rows,
    (row) => el('tr', {}, cell('owner', row.owner), cell('t', time(row.t)), numCell('images', row.images), numCell('gpuSeconds', row.gpuSeconds)),
    'No usage recorded.',
  );
}
