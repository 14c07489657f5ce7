import { Readable } from 'node:stream';
import { BATCH_MAX_LINES } from '@imageforge/contracts';
import { jsonlLines, scanInputFile } from '../src';

const line = (customId: string, body: Record<string, unknown> = { prompt: 'a cat' }, url = '/v1/images/generations') =>
  JSON.stringify({ custom_id: customId, method: 'POST', url, body });

/** A stream that hands out the text in small, uneven chunks, splitting lines and UTF-8 characters. */
function chunked(text: string, size = 7): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return Readable.from(chunks);
}

describe(jsonlLines.name, () => {
  it('splits across chunk boundaries, keeps numbers of blank lines and decodes split characters', async () => {
    const lines = [];
    for await (const entry of jsonlLines(chunked('{"a":"é"}\r\n\n  \n{"b":"猫"}\n{"c":1}'), 1024)) lines.push(entry);
    expect(lines).toEqual([
      { line: 1, text: '{"a":"é"}' },
      { line: 4, text: '{"b":"猫"}' },
      { line: 5, text: '{"c":1}' },
    ]);
  });

  it('reports a line over the cap without keeping it, and goes on with the next', async () => {
    const lines = [];
    for await (const entry of jsonlLines(chunked(`short\n${'x'.repeat(100)}\nafter`, 9), 50)) lines.push(entry);
    expect(lines).toEqual([{ line: 1, text: 'short' }, { line: 2, tooLong: true, bytes: 100 }, { line: 3, text: 'after' }]);
  });
});

describe(scanInputFile.name, () => {
  it('passes a clean file and reports its request count and model', async () => {
    const text = [line('a', { model: 'gpt-image-1', prompt: 'x' }), '', line('b', { model: 'gpt-image-1', prompt: 'y' })].join('\n');
    await expect(scanInputFile(chunked(text), '/v1/images/generations')).resolves.toEqual({ lines: 2, model: 'gpt-image-1', errors: [] });
  });

  it('names every file-level problem with OpenAI codes and 1-based lines', async () => {
    const text = [
      line('a'),
      '{not json',
      line('a'),
      line('c', { prompt: 'x' }, '/v1/chat/completions'),
      JSON.stringify({ custom_id: 'd', method: 'GET', url: '/v1/images/generations', body: {} }),
      JSON.stringify({ method: 'POST', url: '/v1/images/generations', body: {} }),
      '[1,2]',
      line('e', { model: 'dall-e-3', prompt: 'x' }),
    ].join('\n');
    const scan = await scanInputFile(chunked(text), '/v1/images/generations');
    expect(scan.lines).toBe(8);
    expect(scan.errors.map((error) => [error.code, error.line, error.param])).toEqual([
      ['invalid_json_line', 2, null],
      ['duplicate_custom_id', 3, 'custom_id'],
      ['url_mismatch', 4, 'url'],
      ['invalid_request', 5, 'method'],
      ['missing_required_parameter', 6, 'custom_id'],
      ['invalid_request', 7, null],
      ['model_mismatch', 8, 'body.model'],
    ]);
    expect(scan.errors[0]?.message).toBe('This line is not parseable as valid JSON.');
  });

  it('fails an empty file and one with more than 50,000 requests', async () => {
    const empty = await scanInputFile(chunked('\n\n'), '/v1/images/generations');
    expect(empty.errors.map((error) => error.code)).toEqual(['empty_file']);
    const many = Array.from({ length: BATCH_MAX_LINES + 1 }, (_, index) => line(`r${index}`)).join('\n');
    const big = await scanInputFile(Readable.from([Buffer.from(many)]), '/v1/images/generations');
    expect(big.lines).toBe(BATCH_MAX_LINES + 1);
    expect(big.errors.map((error) => error.code)).toEqual(['too_many_tasks']);
  });
});
