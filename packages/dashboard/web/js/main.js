import { getJson, openLive } from './api.js';
import { loadActionLog, offerQueues, setUpActions } from './actions.js';
import { loadBatches } from './batches.js';
import { drawHistoryCharts } from './charts.js';
import { loadFailures } from './failures.js';
import { searchJobs, showJob } from './jobs.js';
import { renderModels } from './models.js';
import { renderOverview } from './overview.js';
import { loadUsage } from './usage.js';
import { renderWorkers } from './workers.js';

/** Sections that are read when shown; the overview, workers and models come from the live stream. */
const loaders = {
  failures: loadFailures,
  jobs: () => searchJobs(document.getElementById('job-search')),
  batches: loadBatches,
  usage: () => loadUsage(document.querySelector('#usage-form select').value),
  actions: loadActionLog,
};

let current = 'overview';

function route() {
  const hash = decodeURIComponent(location.hash.slice(1)) || 'overview';
  const [tab, ...rest] = hash.split('/');
  current = tab === 'job' ? 'job' : document.getElementById(tab)?.hasAttribute('data-tab') ? tab : 'overview';
  for (const section of document.querySelectorAll('[data-tab]')) section.hidden = section.id !== current;
  for (const link of document.querySelectorAll('#tabs a')) link.classList.toggle('active', link.hash === `#${current === 'job' ? 'jobs' : current}`);
  if (current === 'job') return showJob(rest.join('/'));
  loaders[current]?.().catch((error) => console.error(error));
}

let liveSeen = false;

function applySnapshot(snapshot) {
  renderOverview(snapshot);
  renderWorkers(snapshot.workers);
  renderModels(snapshot.models);
  offerQueues(snapshot.lanes);
  if (snapshot.history) drawHistoryCharts(snapshot.history);
  document.body.dataset.snapshotAt = String(snapshot.at);
}

function setLive(on) {
  const status = document.getElementById('live-status');
  status.className = `live ${on ? 'on' : 'off'}`;
  status.textContent = on ? 'live' : 'reconnecting…';
}

document.getElementById('job-search').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = new FormData(event.target).get('text').trim();
  const jobs = await searchJobs(event.target);
  // A search naming one job by its id opens that job's page.
  if (jobs?.length === 1 && jobs[0].id === text) location.hash = `#job/${encodeURIComponent(text)}`;
});
document.querySelector('#usage-form select').addEventListener('change', (event) => loadUsage(event.target.value));
window.addEventListener('hashchange', route);
setUpActions();
route();
// The first paint does not wait for the stream's first tick.
Promise.all([getJson('overview'), getJson('workers')]).then(
  ([overview, { workers }]) => liveSeen || applySnapshot({ ...overview, workers, at: Date.now() }),
  (error) => console.error(error),
);
openLive((snapshot) => {
  liveSeen = true;
  applySnapshot(snapshot);
}, setLive);
