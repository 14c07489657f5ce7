import { getJson } from './api.js';
import { badge, cell, el, fillRows, time } from './dom.js';

function progress({ total, completed, failed }) {
  const share = (count) => (total ? `${(100 * count) / total}%` : '0%');
  return el(
    'div',
    { class: 'progress', title: `${completed} completed, ${failed} failed of ${total}` },
    el('i', { style: `width:${share(completed + failed)}`, class: 'failed' }),
    el('i', { style: `width:${share(completed)}` }),
  );
}

export async function loadBatches() {
  const { batches } = await getJson('batches');
  fillRows(
    document.getElementById('batches-table'),
    batches,
    (batch) =>
      el(
        'tr',
        { dataset: { batch: batch.id } },
        cell('id', batch.id),
        cell('status', badge(batch.status)),
        cell('owner', batch.owner),
        cell('progress', progress(batch.counts), el('small', { class: 'muted' }, `${batch.counts.completed + batch.counts.failed} / ${batch.counts.total}`)),
        cell('created', time(batch.createdAt)),
        cell('eta', time(batch.estimatedFinishAt)),
      ),
    'No batches.',
  );
}
