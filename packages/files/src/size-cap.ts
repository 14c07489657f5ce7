import { Transform } from 'node:stream';
import { fileTooLarge } from '@imageforge/contracts';

/**
 * Passes bytes through until more than `maxBytes` have come, then fails with OpenAI's
 * 'File is too large.': the store sees a body that errored and keeps nothing.
 */
export function sizeCap(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > maxBytes) callback(fileTooLarge());
      else callback(null, chunk);
    },
  });
}
