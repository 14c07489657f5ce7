import { cell, el, fillRows, num, numCell } from './dom.js';

export function renderModels(models) {
  fillRows(document.getElementById('models-table'), models, (model) =>
    el(
      'tr',
      { dataset: { model: model.model } },
      cell('model', model.model),
      cell('queue', model.queue),
      numCell('images', model.imagesPerMinute),
      numCell('secondsPerImage', model.secondsPerImage),
      numCell('completed', model.completedLastHour),
      numCell('failed', model.failedLastHour),
      cell('classes', Object.entries(model.failuresByClass).map(([name, count]) => `${name}: ${num(count)}`).join(', ') || '–'),
      cell('workers', model.workers.join(', ') || el('span', { class: 'muted' }, 'none live')),
    ),
  );
  // The search and action forms offer the models the overview knows.
  for (const select of document.querySelectorAll('select[data-models]')) {
    const chosen = select.value;
    select.replaceChildren(el('option', { value: '' }, 'any model'), ...models.map((model) => el('option', { value: model.model }, model.model)));
    select.value = chosen;
  }
}
