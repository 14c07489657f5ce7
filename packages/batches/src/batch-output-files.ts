import { PassThrough, Readable } from 'node:stream';
import { once } from 'node:events';
import type { ObjectStorage } from '@imageforge/storage';
import type { BatchOutputLine } from '@imageforge/contracts';
import { jsonlLines } from './jsonl-lines';

/**
 * Image links inside an output file are written as this marker and the storage key,
 * then signed when the file is read: a link in a day-old output file works as long as
 * the image is kept, where a link signed at finalize time would have expired.
 */
export const OBJECT_LINK_PREFIX = 'imageforge-object:';

export const objectLink = (key: string): Promise<string> => Promise.resolve(`${OBJECT_LINK_PREFIX}${key}`);

/** A line expansion refused, as it waits in storage for finalize: its number and its error-file record. */
export interface RefusedLine {
  line: number;
  record: BatchOutputLine;
}

/** Longest output line read back (a b64_json line of several large images). */
const MAX_OUTPUT_LINE_BYTES = 512 * 1024 * 1024;

/** The content transform for `batch_output` files: each line's marked links become signed links. */
export function resignOutputLinks(storage: ObjectStorage, urlTtlSeconds: number) {
  return (source: Readable): Readable =>
    Readable.from(
      (async function* () {
        for await (const entry of jsonlLines(source, MAX_OUTPUT_LINE_BYTES)) {
          if ('tooLong' in entry || !entry.text.includes(OBJECT_LINK_PREFIX)) {
            if (!('tooLong' in entry)) yield `${entry.text}\n`;
            continue;
          }
          const line = JSON.parse(entry.text) as BatchOutputLine;
          const body = line.response?.body as { data?: { url?: string }[] } | undefined;
          for (const datum of body?.data ?? []) {
            if (datum.url?.startsWith(OBJECT_LINK_PREFIX)) {
              datum.url = await storage.signedUrl(datum.url.slice(OBJECT_LINK_PREFIX.length), { expiresInSeconds: urlTtlSeconds });
            }
          }
          yield `${JSON.stringify(line)}\n`;
        }
      })(),
    );
}

/**
 * One stream per file, written with backpressure: a line waits until the file's upload
 * has taken the previous ones, so finalize never holds more than a few lines.
 */
export class JsonlSink {
  readonly stream = new PassThrough({ highWaterMark: 1024 * 1024 });
  lines = 0;

  async write(line: BatchOutputLine): Promise<void> {
    this.lines += 1;
    if (!this.stream.write(`${JSON.stringify(line)}\n`)) await once(this.stream, 'drain');
  }

  end(): void {
    this.stream.end();
  }

  fail(error: Error): void {
    this.stream.destroy(error);
  }
}
