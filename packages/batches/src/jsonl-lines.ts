import type { Readable } from 'node:stream';

export type JsonlLine =
  /** 1-based line number in the file, and its text without the line break. */
  | { line: number; text: string }
  /** The line is longer than the cap; its bytes were skipped, not kept. */
  | { line: number; tooLong: true; bytes: number };

/**
 * Splits a byte stream into lines without holding more than one line (up to
 * `maxLineBytes`) in memory, so a 200 MB input file is read in constant space. Blank
 * lines are skipped but keep their numbers, as an editor shows them.
 */
export async function* jsonlLines(source: Readable, maxLineBytes: number): AsyncGenerator<JsonlLine> {
  let parts: Buffer[] = [];
  let length = 0;
  let skipping = false;
  let line = 0;
  const finish = (tail: Buffer): JsonlLine | null => {
    line += 1;
    if (skipping) {
      const bytes = length + tail.length;
      skipping = false;
      parts = [];
      length = 0;
      return { line, tooLong: true, bytes };
    }
    const whole = parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
    parts = [];
    length = 0;
    const text = whole.toString('utf8').replace(/\r$/, '');
    return text.trim() === '' ? null : { line, text };
  };
  for await (const chunk of source as AsyncIterable<Buffer>) {
    let start = 0;
    for (let newline = chunk.indexOf(0x0a, start); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, newline);
      if (!skipping && length + piece.length > maxLineBytes) skipping = true;
      const done = finish(piece);
      if (done) yield done;
      start = newline + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) continue;
    if (skipping || length + rest.length > maxLineBytes) {
      skipping = true;
      length += rest.length;
      parts = [];
    } else {
      // Copied: the stream may reuse its chunk buffers.
      parts.push(Buffer.from(rest));
      length += rest.length;
    }
  }
  if (length > 0 || skipping) {
    const done = finish(Buffer.alloc(0));
    if (done) yield done;
  }
}
