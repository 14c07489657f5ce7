import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MetricDeclaration } from './metric-names';

type Collect<M> = (this: M) => void | Promise<void>;

/** A prom-client metric from its one declaration in metric-names.ts, registered on `registry` only. */
export function counterOf(registry: Registry, metric: MetricDeclaration, collect?: Collect<Counter<string>>): Counter<string> {
  assertType(metric, 'counter');
  return new Counter({ name: metric.name, help: metric.help, labelNames: metric.labels, registers: [registry], ...(collect ? { collect } : {}) });
}

export function gaugeOf(registry: Registry, metric: MetricDeclaration, collect?: Collect<Gauge<string>>): Gauge<string> {
  assertType(metric, 'gauge');
  return new Gauge({ name: metric.name, help: metric.help, labelNames: metric.labels, registers: [registry], ...(collect ? { collect } : {}) });
}

export function histogramOf(registry: Registry, metric: MetricDeclaration, buckets: readonly number[]): Histogram<string> {
  assertType(metric, 'histogram');
  return new Histogram({ name: metric.name, help: metric.help, labelNames: metric.labels, buckets: [...buckets], registers: [registry] });
}

function assertType(metric: MetricDeclaration, type: MetricDeclaration['type']): void {
  if (metric.type !== type) throw new Error(`${metric.name} is declared a ${metric.type}, not a ${type}`);
}
