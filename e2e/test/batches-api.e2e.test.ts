import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import { API_KEY, useImageStack } from './support/image-stack.harness';
import { makePng } from './support/test-images';

type Line = { custom_id: string; method?: string; url?: string; body: Record<string, unknown> };
type OutputLine = { id: string; custom_id: string; response: { status_code: number; request_id: string; body: any } | null; error: { code: string; message: string } | null };

const jsonl = (lines: (Line | string)[], url = '/v1/images/generations') =>
  Buffer.from(lines.map((line) => (typeof line === 'string' ? line : JSON.stringify({ method: 'POST', url, ...line }))).join('\n') + '\n');

async function until(client: OpenAI, id: string, done: (batch: Batch) => boolean, timeoutMs = 20_000): Promise<Batch> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (done(batch)) return batch;
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${batch.status} after ${timeoutMs} ms: ${JSON.stringify(batch)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const settled = (batch: Batch) => ['completed', 'failed', 'expired', 'cancelled'].includes(batch.status);

async function linesOf(client: OpenAI, fileId: string | null | undefined): Promise<OutputLine[]> {
  if (!fileId) return [];
  const text = await (await client.files.content(fileId)).text();
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as OutputLine);
}

describe.each(['local', 's3'] as const)('the Batch API through the official openai client (%s storage)', (storage) => {
  const stack = useImageStack({ storage, workerConcurrency: 4 });
  const client = () => new OpenAI({ apiKey: API_KEY, baseURL: `${stack.url}/v1`, maxRetries: 0 });
  const upload = async (bytes: Buffer, name = 'requests.jsonl') => client().files.create({ file: await toFile(bytes, name), purpose: 'batch' });

  it('runs a generations batch: each line answered as the sync call would be, failures in the error file', async () => {
    const invalid = { model: 'dall-e-2', prompt: 'a red fox', n: 11 };
    const file = await upload(
      jsonl([
        { custom_id: 'url-1', body: { model: 'dall-e-2', prompt: 'a red fox', size: '256x256' } },
        { custom_id: 'b64-1', body: { model: 'dall-e-2', prompt: 'a blue fox', size: '256x256', response_format: 'b64_json', n: 2 } },
        { custom_id: 'bad-1', body: invalid },
        { custom_id: 'url-2', body: { model: 'dall-e-2', prompt: 'a green fox', size: '512x512' } },
      ]),
    );
    const created = await client().batches.create({ input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h', metadata: { run: 'nightly' } });
    expect(created).toMatchObject({ object: 'batch', status: 'validating', input_file_id: file.id, metadata: { run: 'nightly' }, output_file_id: null });
    expect(created.expires_at).toBe(created.created_at + 24 * 3600);

    const batch = await until(client(), created.id, settled);
    expect(batch).toMatchObject({ status: 'completed', model: 'dall-e-2', request_counts: { total: 4, completed: 3, failed: 1 }, errors: null });
    for (const field of ['in_progress_at', 'finalizing_at', 'completed_at'] as const) expect(batch[field]).toEqual(expect.any(Number));
    expect([batch.failed_at, batch.cancelled_at, batch.expired_at]).toEqual([null, null, null]);

    const output = await linesOf(client(), batch.output_file_id);
    expect(output.map((line) => line.custom_id)).toEqual(['url-1', 'b64-1', 'url-2']);
    for (const line of output) {
      expect(line).toMatchObject({ id: expect.stringMatching(/^batch_req_/), error: null, response: { status_code: 200, request_id: expect.stringMatching(/^req_/) } });
    }
    const [url1, b64, url2] = output;
    expect(b64!.response!.body.data).toHaveLength(2);
    expect(Buffer.from(b64!.response!.body.data[0].b64_json, 'base64').subarray(1, 4).toString()).toBe('PNG');
    for (const line of [url1!, url2!]) {
      const image = await fetch(line.response!.body.data[0].url);
      expect(image.status).toBe(200);
      expect(Buffer.from(await image.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
    }

    // The refused line carries exactly what the endpoint answers that body.
    const sync = (await client().images.generate(invalid as never).catch((error: unknown) => error)) as InstanceType<typeof OpenAI.APIError>;
    const [refused] = await linesOf(client(), batch.error_file_id);
    expect(refused).toEqual({
      id: expect.stringMatching(/^batch_req_/),
      custom_id: 'bad-1',
      response: { status_code: sync.status, request_id: expect.stringMatching(/^req_/), body: { error: sync.error } },
      error: null,
    });
    expect(sync.status).toBe(400);
    const outputFile = await client().files.retrieve(batch.output_file_id!);
    expect(outputFile).toMatchObject({ purpose: 'batch_output', filename: `${batch.id}_output.jsonl` });
  });

  it('runs a JSON-form edits batch with data URLs and file ids', async () => {
    const png = await makePng(256, 256);
    const image = await client().files.create({ file: await toFile(png, 'in.png', { type: 'image/png' }), purpose: 'vision' });
    const dataUrl = `data:image/png;base64,${png.toString('base64')}`;
    const file = await upload(
      jsonl(
        [
          { custom_id: 'by-url', body: { model: 'gpt-image-1', prompt: 'add a hat', images: [{ image_url: dataUrl }], size: '1024x1024', quality: 'low' } },
          { custom_id: 'by-file', body: { model: 'gpt-image-1', prompt: 'add a scarf', images: [{ file_id: image.id }], size: '1024x1024', quality: 'low' } },
          { custom_id: 'missing-file', body: { model: 'gpt-image-1', prompt: 'x', images: [{ file_id: 'file-doesnotexist0000000000' }] } },
        ],
        '/v1/images/edits',
      ),
    );
    const created = await client().batches.create({ input_file_id: file.id, endpoint: '/v1/images/edits', completion_window: '24h' });
    const batch = await until(client(), created.id, settled, 30_000);
    expect(batch).toMatchObject({ status: 'completed', model: 'gpt-image-1', request_counts: { total: 3, completed: 2, failed: 1 } });
    expect(batch.usage?.total_tokens).toBeGreaterThan(0);
    const output = await linesOf(client(), batch.output_file_id);
    expect(output.map((line) => line.custom_id).sort()).toEqual(['by-file', 'by-url']);
    expect(output[0]!.response!.body).toMatchObject({ size: '1024x1024', quality: 'low', usage: expect.any(Object) });
    const [missing] = await linesOf(client(), batch.error_file_id);
    expect(missing).toMatchObject({ custom_id: 'missing-file', response: { status_code: 400, body: { error: { param: 'images[0].file_id', code: 'invalid_file_id' } } } });
  });

  it('fails a file with an unparseable line and duplicate custom ids, naming each line', async () => {
    const file = await upload(jsonl([{ custom_id: 'a', body: { prompt: 'x' } }, '{oops', { custom_id: 'a', body: { prompt: 'y' } }]));
    const created = await client().batches.create({ input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h' });
    const batch = await until(client(), created.id, settled);
    expect(batch.status).toBe('failed');
    expect(batch.failed_at).toEqual(expect.any(Number));
    expect(batch.errors).toEqual({
      object: 'list',
      data: [
        { code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', param: null, line: 2 },
        expect.objectContaining({ code: 'duplicate_custom_id', line: 3 }),
      ],
    });
    expect([batch.output_file_id, batch.error_file_id]).toEqual([null, null]);
  });

  it('refuses what OpenAI refuses at create, and lists batches newest first by cursor', async () => {
    const file = await upload(jsonl([{ custom_id: 'a', body: { prompt: 'x' } }]));
    const bad = (await client()
      .batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })
      .catch((error: unknown) => error)) as InstanceType<typeof OpenAI.APIError>;
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.param).toBe('endpoint');
    const missing = await client()
      .batches.create({ input_file_id: 'file-nothere000000000000000', endpoint: '/v1/images/generations', completion_window: '24h' })
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    const notFound = await client().batches.retrieve('batch_00000000000000000000000000000000').catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);

    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      ids.push((await client().batches.create({ input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h' })).id);
    }
    const page = await client().batches.list({ limit: 2 });
    expect(page.data.map((batch) => batch.id)).toEqual([ids[2], ids[1]]);
    expect(page.has_more).toBe(true);
    const listed: string[] = [];
    for await (const batch of client().batches.list({ limit: 2 })) listed.push(batch.id);
    expect(listed.slice(0, 3)).toEqual([...ids].reverse());
    for (const id of ids) await until(client(), id, settled);
  });
});
