import { badge, cell, duration, el, fillRows, numCell } from './dom.js';

export function renderWorkers(workers) {
  fillRows(
    document.getElementById('workers-table'),
    workers,
    (worker) =>
      el(
        'tr',
        { class: worker.lost ? 'lost' : '', dataset: { worker: worker.name } },
        cell('name', worker.name),
        cell('host', `${worker.host} / ${worker.pid}`),
        cell('lanes', `${worker.queues.join(', ')} · ${worker.lanes.join(', ')}`),
        cell('engines', ...worker.engines.map((engine) => el('div', {}, `${engine.model}: ${engine.kind} on ${engine.device}`))),
        cell('state', worker.lost ? badge('lost') : badge(worker.state)),
        cell(
          'current',
          worker.currentJobs.length
            ? worker.currentJobs.map((job) => el('div', {}, el('a', { href: `#job/${encodeURIComponent(job.jobId)}` }, job.jobId), ` ${Math.round(job.progress)}%`))
            : el('span', { class: 'muted' }, 'none'),
        ),
        numCell('done', worker.done),
        numCell('failed', worker.failed),
        cell('heartbeat', `${duration(worker.heartbeatAgeMs)} ago`),
      ),
    'No worker has sent a heartbeat.',
  );
}
