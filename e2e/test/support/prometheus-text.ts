/**
 * A strict parser of Prometheus' text exposition format (0.0.4), enough to hold /metrics to it:
 * every sample belongs to a family declared by one `# TYPE` line before it, histogram samples are
 * `_bucket` (with `le`), `_sum` or `_count`, and label values are read with their escapes.
 */
export type MetricFamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: MetricFamilyType;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
const SUFFIXES: Partial<Record<MetricFamilyType, string[]>> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const helps = new Map<string, string>();
  text.split('\n').forEach((line, index) => {
    const fail = (why: string): never => {
      throw new Error(`line ${index + 1}: ${why}: ${line}`);
    };
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const [, keyword, name, rest = ''] = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line) ?? [];
      if (!keyword || !name) return; // a plain comment
      if (!NAME.test(name)) fail('bad metric name');
      if (keyword === 'HELP') return void helps.set(name, rest);
      if (families.has(name)) fail('second TYPE line for one family');
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) fail('unknown type');
      families.set(name, { name, type: rest as MetricFamilyType, help: helps.get(name) ?? '', samples: [] });
      return;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line) ?? fail('not a sample');
    const [, name = '', , labelText = '', valueText = ''] = match;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < labelText.length) {
      const label = LABEL.exec(labelText) ?? fail('bad label set');
      if (label[1]! in labels) fail(`label ${label[1]} twice`);
      labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped));
    }
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : valueText === 'NaN' ? NaN : Number(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') fail('bad value');
    const family = [...families.values()].find((candidate) => (SUFFIXES[candidate.type] ?? ['']).some((suffix) => `${candidate.name}${suffix}` === name)) ?? fail('sample before its TYPE line');
    if (name.endsWith('_bucket') && family.type === 'histogram' && labels.le === undefined) fail('bucket without le');
    family.samples.push({ name, labels, value });
  });
  return families;
}

/** The `le` bounds of one histogram's buckets for one label set (le excluded), in order. */
export function bucketBounds(family: MetricFamily, labels: Record<string, string> = {}): string[] {
  return family.samples
    .filter((sample) => sample.name === `${family.name}_bucket` && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .filter((sample, _, all) => sameSeries(sample, all[0]!))
    .map((sample) => sample.labels.le!);
}

function sameSeries(a: Sample, b: Sample): boolean {
  const strip = ({ le: _le, ...rest }: Record<string, string>) => JSON.stringify(rest);
  return strip(a.labels) === strip(b.labels);
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when none. */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    const sample = family.samples.find((candidate) => candidate.name === name && Object.entries(labels).every(([key, value]) => candidate.labels[key] === value));
    if (sample) return sample.value;
  }
  return undefined;
}
