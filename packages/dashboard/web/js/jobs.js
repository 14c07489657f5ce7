import { getJson } from './api.js';
import { badge, cell, duration, el, fillRows, time } from './dom.js';

const runTime = (job) => (job.startedAt && job.finishedAt ? duration(job.finishedAt - job.startedAt) : '–');

export async function searchJobs(form) {
  const error = document.getElementById('job-search-error');
  try {
    const { jobs } = await getJson('jobs', Object.fromEntries(new FormData(form)));
    error.hidden = true;
    fillRows(
      document.getElementById('jobs-table'),
      jobs,
      (job) =>
        el(
          'tr',
          { dataset: { job: job.id } },
          cell('id', el('a', { href: `#job/${encodeURIComponent(job.id)}` }, job.id)),
          cell('status', badge(job.status)),
          cell('model', job.model),
          cell('lane', `${job.queue}/${job.lane}`),
          cell('owner', job.owner),
          cell('created', time(job.createdAt)),
          cell('run', runTime(job)),
          cell('batch', [job.batchId, job.customId].filter(Boolean).join(' · ') || '–'),
        ),
      'No job matches.',
    );
    return jobs;
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
    return undefined;
  }
}

/** Inputs are deleted once a job finishes (retention), so a missing picture says so instead of showing broken. */
const thumb = (link) =>
  el(
    'a',
    { href: link.url, target: '_blank', rel: 'noopener' },
    el('img', { src: link.url, alt: link.key, title: link.key, onerror: (event) => event.target.parentElement.replaceWith(el('span', { class: 'muted gone' }, `${link.key}: no longer stored`)) }),
  );

const thumbs = (kind, links) => (links.length ? el('div', { class: 'thumbs', dataset: { kind } }, ...links.map(thumb)) : el('p', { class: 'muted' }, 'none'));

/** The job page: timings, attempts, worker, params, error and input/output thumbnails. */
export async function showJob(id) {
  const detail = document.getElementById('job-detail');
  detail.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
  try {
    const { job } = await getJson(`jobs/${encodeURIComponent(id)}`);
    const facts = [
      ['Status', badge(job.status)],
      ['Model', `${job.model} (${job.operation})`],
      ['Queue / lane', `${job.queue}/${job.lane}`],
      ['Owner', job.owner],
      ['Attempts', String(job.attempts)],
      ['Worker', job.worker ?? '–'],
      ['Progress', `${Math.round(job.progress)}%`],
      ['Created', time(job.createdAt)],
      ['Started', `${time(job.startedAt)}${job.startedAt ? ` (waited ${duration(job.startedAt - job.createdAt)})` : ''}`],
      ['Finished', `${time(job.finishedAt)}${job.finishedAt && job.startedAt ? ` (ran ${duration(job.finishedAt - job.startedAt)})` : ''}`],
      ['Batch / custom_id', [job.batchId, job.customId].filter(Boolean).join(' · ') || '–'],
    ];
    const parts = [
      el('h2', {}, 'Job ', el('code', { id: 'job-id' }, job.id)),
      el('dl', { class: 'facts', dataset: { status: job.status } }, ...facts.flatMap(([name, value]) => [el('dt', {}, name), el('dd', { dataset: { fact: name } }, value)])),
      job.error
        ? el('div', { class: 'failure' }, el('h3', {}, `Error: ${job.error.errorClass}`), el('p', { class: 'error' }, job.error.message), job.error.stack ? el('pre', {}, job.error.stack) : null)
        : null,
      el('h3', {}, 'Params'),
      el('pre', {}, JSON.stringify(job.params, null, 2)),
      el('h3', {}, 'Inputs'),
      thumbs('inputs', job.inputs),
      el('h3', {}, 'Outputs'),
      thumbs('outputs', job.outputs),
    ];
    detail.replaceChildren(...parts.filter(Boolean));
  } catch (failure) {
    detail.replaceChildren(el('p', { class: 'error' }, failure.message));
  }
}
