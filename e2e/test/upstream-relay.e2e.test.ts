import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI, { BadRequestError, NotFoundError, toFile } from 'openai';
import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';
import { describeImage, makeMask, makePng } from './support/test-images';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Digests of every output image a stack stored (local storage under `<dir>/objects`, keys `jobs/<id>/output/<i>.<ext>`). */
function storedOutputs(dir: string): Set<string> {
  const jobs = join(dir, 'objects', 'objects', 'jobs');
  const digests = new Set<string>();
  if (!existsSync(jobs)) return digests;
  for (const job of readdirSync(jobs)) {
    const output = join(jobs, job, 'output');
    if (!existsSync(output)) continue;
    for (const file of readdirSync(output)) digests.add(sha256(readFileSync(join(output, file))));
  }
  return digests;
}

describe('the openai-upstream engine relaying to another instance of the stack', () => {
  // Started first, with its built-in synthetic models: the upstream the front relays to.
  const upstream = useImageStack();
  const relay = (model: string) => ({ kind: 'openai-upstream', baseUrl: `${upstream.url}/v1`, model, apiKeyEnv: 'UPSTREAM_KEY' });
  const front = useImageStack({
    models: async () => [
      { id: 'relay-gpt', profile: 'gpt-image', engine: relay('gpt-image-1') },
      { id: 'relay-dalle2', profile: 'dall-e-2', engine: relay('dall-e-2') },
      { id: 'relay-dalle3', profile: 'dall-e-3', engine: relay('dall-e-3') },
      // The front's profile takes n up to 10; the upstream's dall-e-3 takes 1.
      { id: 'relay-one-image', profile: 'gpt-image', engine: relay('dall-e-3') },
      { id: 'relay-missing', profile: 'gpt-image', engine: relay('no-such-model') },
    ],
    workerEnv: { UPSTREAM_KEY: API_KEY },
  });
  const client = () => new OpenAI({ apiKey: API_KEY, baseURL: `${front.url}/v1`, maxRetries: 0 });
  const post = (stack: typeof front, path: string, body: object, headers: Record<string, string> = {}) =>
    stack.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('generates through the upstream and returns the very bytes the upstream stored, as b64_json', async () => {
    const response = await client().images.generate({ model: 'relay-gpt', prompt: 'a lighthouse at dusk', n: 2, size: '1024x1024', quality: 'low', output_format: 'png' });
    expect(response.data).toHaveLength(2);
    expect(response).toMatchObject({ output_format: 'png', quality: 'low', size: '1024x1024' });
    expect(response.usage?.total_tokens).toBeGreaterThan(0);
    const upstreamStored = storedOutputs(upstream.dir);
    const frontStored = storedOutputs(front.dir);
    for (const datum of response.data!) {
      const bytes = Buffer.from(datum.b64_json!, 'base64');
      expect(await describeImage(bytes)).toMatchObject({ format: 'png', width: 1024, height: 1024 });
      expect(upstreamStored.has(sha256(bytes))).toBe(true);
      expect(frontStored.has(sha256(bytes))).toBe(true);
    }
  });

  it('answers url links to its own copy of the upstream bytes, in the format the upstream encoded', async () => {
    const response = await client().images.generate({ model: 'relay-gpt', prompt: 'a red bicycle', size: '1024x1536', quality: 'low', output_format: 'webp', response_format: 'url' });
    const link = response.data![0]!.url!;
    expect(link.startsWith(front.url)).toBe(true);
    const bytes = Buffer.from(await (await fetch(link)).arrayBuffer());
    expect(await describeImage(bytes)).toMatchObject({ format: 'webp', width: 1024, height: 1536 });
    expect(storedOutputs(upstream.dir).has(sha256(bytes))).toBe(true);
  });

  it('relays dall-e-2 url answers (asking the upstream for b64_json) and dall-e-3 revised prompts', async () => {
    const small = await client().images.generate({ model: 'relay-dalle2', prompt: 'a small boat', size: '256x256', response_format: 'url' });
    const bytes = Buffer.from(await (await fetch(small.data![0]!.url!)).arrayBuffer());
    expect(storedOutputs(upstream.dir).has(sha256(bytes))).toBe(true);
    const hd = await client().images.generate({ model: 'relay-dalle3', prompt: 'a quiet harbour', size: '1024x1024', response_format: 'b64_json' });
    expect(typeof hd.data![0]!.revised_prompt).toBe('string');
    expect(storedOutputs(upstream.dir).has(sha256(Buffer.from(hd.data![0]!.b64_json!, 'base64')))).toBe(true);
  });

  it('relays a multipart edit of two images with a mask', async () => {
    const [first, second, mask] = await Promise.all([makePng(1024, 1024, { alpha: true }), makePng(1024, 1024, { seed: 3 }), makeMask(1024, 1024, { x: 0, y: 0, w: 512, h: 1024 })]);
    const response = await client().images.edit({
      model: 'relay-gpt',
      prompt: 'put a moon in the sky',
      image: [await toFile(first, 'first.png', { type: 'image/png' }), await toFile(second, 'second.png', { type: 'image/png' })],
      mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
      size: '1024x1024',
      quality: 'low',
    });
    const bytes = Buffer.from(response.data![0]!.b64_json!, 'base64');
    expect(await describeImage(bytes)).toMatchObject({ format: 'png', width: 1024, height: 1024 });
    expect(storedOutputs(upstream.dir).has(sha256(bytes))).toBe(true);
  });

  it('relays variations', async () => {
    const response = await client().images.createVariation({
      model: 'relay-dalle2',
      image: await toFile(await makePng(256, 256), 'input.png', { type: 'image/png' }),
      n: 2,
      size: '256x256',
      response_format: 'b64_json',
    });
    expect(response.data).toHaveLength(2);
    const stored = storedOutputs(upstream.dir);
    for (const datum of response.data!) expect(stored.has(sha256(Buffer.from(datum.b64_json!, 'base64')))).toBe(true);
  });

  it("passes the upstream's 400 through as the same error, to the sync caller and on the job object", async () => {
    const direct = await post(upstream, '/v1/images/generations', { model: 'dall-e-3', prompt: 'two boats', n: 2, size: '1024x1024', response_format: 'b64_json' });
    expect(direct.status).toBe(400);
    const expected = (await bodyOf(direct)).error;
    expect(expected).toMatchObject({ param: 'n' });

    const relayed = await post(front, '/v1/images/generations', { model: 'relay-one-image', prompt: 'two boats', n: 2, size: '1024x1024' });
    expect(relayed.status).toBe(400);
    expect((await bodyOf(relayed)).error).toEqual(expected);
    expect(relayed.headers.get('x-should-retry')).toBe('false');

    const error = await client()
      .images.generate({ model: 'relay-one-image', prompt: 'two boats', n: 2, size: '1024x1024' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, param: expected.param, code: expected.code, type: expected.type });

    const job = await bodyOf(await post(front, '/v1/images/generations', { model: 'relay-one-image', prompt: 'two boats', n: 2, size: '1024x1024' }, { prefer: 'respond-async' }));
    let polled = job;
    for (let i = 0; i < 200 && !['succeeded', 'failed'].includes(polled.status); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      polled = await bodyOf(await front.request(`/v1/images/jobs/${job.id}`));
    }
    expect(polled.status).toBe('failed');
    expect(polled.error).toEqual({ message: expected.message, code: expected.code, param: expected.param, status: 400 });
  });

  it("passes the upstream's 404 for a model it does not know through as the same error", async () => {
    const direct = await post(upstream, '/v1/images/generations', { model: 'no-such-model', prompt: 'anything', size: '1024x1024' });
    expect(direct.status).toBe(404);
    const expected = (await bodyOf(direct)).error;
    const error = await client()
      .images.generate({ model: 'relay-missing', prompt: 'anything', size: '1024x1024', quality: 'low' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).error).toEqual(expected);
  });
});
