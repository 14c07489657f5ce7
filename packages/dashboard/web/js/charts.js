import uPlot from '../uplot/uPlot.esm.js';

/** Line colours per series, in order; `all` is always first and dark. */
const COLOURS = ['#1d2430', '#2f5bd3', '#e07a10', '#067647', '#b42318', '#7a3fd1', '#0e8fa3', '#a1690c'];

const charts = new Map();

function seriesNames(history) {
  return ['all', ...Object.keys(history.series).filter((name) => name !== 'all').sort()];
}

/** Draws (or redraws in place) one chart of `field` from a history series: one line per lane plus `all`. */
export function drawChart(containerId, history, field) {
  const names = seriesNames(history).filter((name) => history.series[name]);
  const times = (history.series[names[0]] ?? []).map((point) => point.t / 1000);
  const data = [times, ...names.map((name) => history.series[name].map((point) => point[field]))];
  const key = `${containerId}:${names.join(',')}`;
  const existing = charts.get(containerId);
  if (existing && existing.key === key) {
    existing.plot.setData(data);
    return;
  }
  existing?.plot.destroy();
  const container = document.getElementById(containerId);
  const width = Math.max(320, container.clientWidth || 480);
  const plot = new uPlot(
    {
      width,
      height: 190,
      series: [{}, ...names.map((name, i) => ({ label: name, stroke: COLOURS[i % COLOURS.length], width: name === 'all' ? 2 : 1.25 }))],
      axes: [{}, { size: 48 }],
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      legend: { live: false },
    },
    data,
    container,
  );
  charts.set(containerId, { key, plot });
}

export function drawHistoryCharts(history) {
  drawChart('chart-depth-minute', history.minute, 'depth');
  drawChart('chart-throughput-minute', history.minute, 'completed');
  drawChart('chart-depth-hour', history.hour, 'depth');
  drawChart('chart-throughput-hour', history.hour, 'completed');
}
