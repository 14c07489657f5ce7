import { badge, cell, duration, el, fillRows, num, numCell, percentiles } from './dom.js';

const laneName = (lane) => `${lane.queue}/${lane.lane}`;

/** The cards and the per-lane and per-model tables; redrawn from every live snapshot. */
export function renderOverview({ lanes, models, workers }) {
  const sum = (field) => lanes.reduce((total, lane) => total + lane[field], 0);
  document.getElementById('total-waiting').textContent = num(sum('waiting'));
  document.getElementById('total-active').textContent = num(sum('active'));
  document.getElementById('total-failed').textContent = num(sum('failedLastHour'));
  document.getElementById('total-throughput').textContent = num(sum('completedPerMinute'));
  if (workers) document.getElementById('total-workers').textContent = num(workers.filter((worker) => !worker.lost).length);

  fillRows(document.getElementById('lanes-table'), lanes, (lane) =>
    el(
      'tr',
      { dataset: { lane: laneName(lane) } },
      cell('name', laneName(lane)),
      cell('state', lane.paused ? badge('paused') : badge('running')),
      numCell('waiting', lane.waiting),
      numCell('active', lane.active),
      numCell('delayed', lane.delayed),
      numCell('failed', lane.failedLastHour),
      numCell('throughput', lane.completedPerMinute),
      cell('oldest', duration(lane.oldestWaitingAgeMs)),
      cell('wait', percentiles(lane.waitSeconds)),
      cell('run', percentiles(lane.runSeconds)),
    ),
  );

  const byQueue = (queue, field) => lanes.filter((lane) => lane.queue === queue).reduce((total, lane) => total + lane[field], 0);
  fillRows(document.getElementById('overview-models-table'), models, (model) =>
    el(
      'tr',
      { dataset: { model: model.model } },
      cell('model', model.model),
      cell('queue', model.queue),
      numCell('waiting', byQueue(model.queue, 'waiting')),
      numCell('active', byQueue(model.queue, 'active')),
      numCell('images', model.imagesPerMinute),
      numCell('completed', model.completedLastHour),
      numCell('failed', model.failedLastHour),
      cell('run', percentiles(model.runSeconds)),
    ),
  );
}
