export type Alignment = 'left' | 'right';

/** One column of a markdown table: header text, how to render a row, which side to align. */
export interface TableColumn<Row> {
  header: string;
  render: (row: Row) => string;
  align?: Alignment;
}

/** Renders rows as a GitHub markdown table padded so the raw text also reads as a table. */
export function formatMarkdownTable<Row>(columns: readonly TableColumn<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => escapeCell(column.render(row))));
  const widths = columns.map((column, index) =>
    Math.max(3, column.header.length, ...cells.map((line) => (line[index] as string).length)),
  );
  const pad = (text: string, index: number) => {
    const width = widths[index] as number;
    return columns[index]?.align === 'right' ? text.padStart(width) : text.padEnd(width);
  };
  const header = `| ${columns.map((column, index) => pad(column.header, index)).join(' | ')} |`;
  const rule = `| ${columns
    .map((column, index) => {
      const dashes = '-'.repeat(widths[index] as number);
      return column.align === 'right' ? `${dashes.slice(1)}:` : dashes;
    })
    .join(' | ')} |`;
  const body = cells.map((line) => `| ${line.map((cell, index) => pad(cell, index)).join(' | ')} |`);
  return [header, rule, ...body].join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Fixed-point number, or an em dash when the value was not measured. */
export function formatNumber(value: number | undefined | null, digits = 1): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Bytes as MiB with one decimal. */
export function formatMiB(bytes: number | undefined | null): string {
  if (bytes === undefined || bytes === null || !Number.isFinite(bytes)) return '—';
  return `${formatNumber(bytes / (1024 * 1024), 1)} MiB`;
}
