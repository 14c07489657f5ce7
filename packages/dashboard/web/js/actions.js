import { getJson, postAction, readOnly } from './api.js';
import { cell, el, fillRows, numCell, time } from './dom.js';

const lanePart = (lane) => (lane ? `/${lane}` : ' (every lane)');

/** Each form names what it will do, asks, then posts; the log below shows what was done. */
function describe(form, action, data) {
  switch (form.id) {
    case 'queue-action':
      return { action, body: { queue: data.queue, ...(data.lane ? { lane: data.lane } : {}) }, question: `${action} ${data.queue}${lanePart(data.lane)}?` };
    case 'job-action':
      return { action, body: { jobId: data.jobId.trim() }, question: `${action} job ${data.jobId.trim()}?` };
    case 'filter-action': {
      const filter = { queue: data.queue, ...(data.lane ? { lane: data.lane } : {}), ...(data.model ? { model: data.model } : {}) };
      const what = action === 'retry' ? 'Retry every failed job' : 'Cancel every waiting job';
      return { action, body: { filter }, question: `${what} in ${data.queue}${lanePart(data.lane)}${data.model ? ` for ${data.model}` : ''}?` };
    }
    default: {
      const olderThanMs = Math.round(Number(data.olderThanMinutes) * 60_000);
      return {
        action: 'clean',
        body: { queue: data.queue, ...(data.lane ? { lane: data.lane } : {}), state: data.state, olderThanMs },
        question: `Remove ${data.state} jobs older than ${data.olderThanMinutes} min from ${data.queue}${lanePart(data.lane)}?`,
      };
    }
  }
}

export async function loadActionLog() {
  const { actions } = await getJson('actions');
  fillRows(
    document.getElementById('actions-table'),
    actions,
    (record) => el('tr', {}, cell('at', time(record.at)), cell('who', record.who), cell('action', record.action), cell('target', record.target), numCell('affected', record.affected)),
    'No actions yet.',
  );
}

export function setUpActions() {
  if (readOnly) {
    document.querySelector('[data-actions]').hidden = true;
    document.querySelector('.read-only-note').hidden = false;
    return;
  }
  const result = document.getElementById('action-result');
  for (const form of document.querySelectorAll('form.action')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const { action, body, question } = describe(form, event.submitter?.value, Object.fromEntries(new FormData(form)));
      if (!confirm(question)) return;
      result.className = 'result';
      try {
        const { affected } = await postAction(action, body);
        result.textContent = `${action}: ${affected} affected.`;
      } catch (failure) {
        result.className = 'result error';
        result.textContent = `${action} failed: ${failure.message}`;
      }
      await loadActionLog();
    });
  }
}

/** Queue pickers list the queues the live overview knows. */
export function offerQueues(lanes) {
  const queues = [...new Set(lanes.map((lane) => lane.queue))].sort();
  for (const select of document.querySelectorAll('select[data-queues]')) {
    if (select.options.length === queues.length && [...select.options].every((option, i) => option.value === queues[i])) continue;
    const chosen = select.value;
    select.replaceChildren(...queues.map((queue) => el('option', { value: queue }, queue)));
    if (queues.includes(chosen)) select.value = chosen;
  }
}
