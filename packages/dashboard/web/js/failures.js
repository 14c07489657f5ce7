import { getJson } from './api.js';
import { el, num, time } from './dom.js';

export async function loadFailures() {
  const { failures } = await getJson('failures');
  const groups = document.getElementById('failure-groups');
  if (!failures.length) return groups.replaceChildren(el('p', { class: 'muted' }, 'No failures recorded.'));
  groups.replaceChildren(
    ...failures.map(({ errorClass, count, lastAt, sample }) =>
      el(
        'article',
        { class: 'failure', dataset: { errorClass } },
        el('h3', {}, `${errorClass} · ${num(count)} · last ${time(lastAt)}`),
        el('p', {}, 'Sample: ', el('a', { href: `#job/${encodeURIComponent(sample.jobId)}` }, sample.jobId), ` (${sample.model}, ${sample.queue}/${sample.lane}, ${sample.attempts} attempts)`),
        el('p', { class: 'error' }, sample.message),
        el('details', {}, el('summary', {}, 'Params'), el('pre', {}, JSON.stringify(sample.params, null, 2))),
        sample.stack ? el('details', {}, el('summary', {}, 'Stack'), el('pre', {}, sample.stack)) : null,
      ),
    ),
  );
}
