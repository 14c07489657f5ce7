import { parseBenchOptions } from '../src/bench-options';
import { formatMarkdownTable, formatMiB, formatNumber } from '../src/report/markdown-table';

describe(formatMarkdownTable.name, () => {
  const rows = [
    { name: 'baseline', rate: 4512.3 },
    { name: 'ours | sync', rate: 812 },
  ];
  const table = formatMarkdownTable(
    [
      { header: 'run', render: (row: (typeof rows)[number]) => row.name },
      { header: 'req/s', align: 'right', render: (row: (typeof rows)[number]) => formatNumber(row.rate, 0) },
    ],
    rows,
  );

  it('pads every line of a column to the same width', () => {
    const lengths = new Set(table.split('\n').map((line) => line.length));
    expect(lengths.size).toBe(1);
  });

  it('marks right-aligned columns in the rule and pads them on the left', () => {
    const [header, rule, first] = table.split('\n');
    expect(header).toContain('| run ');
    expect(rule).toMatch(/-+:\s\|$/);
    expect(first).toMatch(/\|\s+4,512 \|$/);
  });

  it('escapes pipes inside cells so they do not split columns', () => {
    expect(table).toContain('ours \\| sync');
  });
});

describe('number formatting', () => {
  it('shows an em dash for values that were not measured', () => {
    expect(formatNumber(Number.NaN)).toBe('—');
    expect(formatMiB(undefined)).toBe('—');
  });

  it('writes bytes as MiB with one decimal', () => {
    expect(formatMiB(3 * 1024 * 1024 + 512 * 1024)).toBe('3.5 MiB');
  });
});

describe(parseBenchOptions.name, () => {
  it('runs the chaos suite only when it is named, with the seed it is given', () => {
    expect(parseBenchOptions([]).only).not.toContain('chaos');
    const chaos = parseBenchOptions(['--only=chaos', '--seed=42']);
    expect(chaos.only).toEqual(['chaos']);
    expect(chaos.sizes.chaosSeed).toBe(42);
    expect(() => parseBenchOptions(['--only=chaos,nothing'])).toThrow(/subset of/);
  });

  it('runs every suite at full size by default', () => {
    const options = parseBenchOptions([]);
    expect(options.only).toEqual(['baseline', 'sync', 'async', 'long', 'memory', 'uploads', 'onnx', 'batch', 'limits', 'streaming', 'pipeline', 'ops', 'batching']);
    expect(options.sizes.batchLines).toBe(50_000);
    expect(options.sizes.backlogJobs).toBe(10_000);
    expect(options.sizes.memoryJobs).toBe(20_000);
  });

  it('keeps suite order fixed whatever order --only lists them in', () => {
    expect(parseBenchOptions(['--only=memory,baseline']).only).toEqual(['baseline', 'memory']);
  });

  it('shrinks counts with --quick but keeps 200 long-job waiters', () => {
    const quick = parseBenchOptions(['--quick']).sizes;
    expect(quick.backlogJobs).toBeLessThan(10_000);
    expect(quick.longWaiters).toBe(200);
  });

  it('sizes the batch suite with --batch-lines, the lane batch never above it', () => {
    const small = parseBenchOptions(['--only=batch', '--batch-lines=2000']).sizes;
    expect([small.batchLines, small.batchLaneLines]).toEqual([2_000, 2_000]);
    const large = parseBenchOptions(['--batch-lines=30000']).sizes;
    expect([large.batchLines, large.batchLaneLines]).toEqual([30_000, 10_000]);
    for (const bad of ['--batch-lines=50', '--batch-lines=50001', '--batch-lines=2e3', '--batch-lines=']) expect(() => parseBenchOptions([bad])).toThrow(/--batch-lines/);
  });

  it('expands a group name into its suites', () => {
    expect(parseBenchOptions(['--only=gpu']).only).toEqual(['pipeline', 'batching']);
    expect(parseBenchOptions(['--only=onnx,gpu']).only).toEqual(['onnx', 'pipeline', 'batching']);
  });

  it('rejects unknown suites and flags instead of silently running everything', () => {
    expect(() => parseBenchOptions(['--only=baseline,tpu'])).toThrow(/--only/);
    expect(() => parseBenchOptions(['--fast'])).toThrow(/unknown flag/);
  });
});
