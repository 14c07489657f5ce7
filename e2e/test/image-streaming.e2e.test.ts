import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI, { APIError, toFile } from 'openai';
import { API_KEY, useImageStack } from './support/image-stack.harness';
import { describeImage, makePng, rawPixels } from './support/test-images';

const models = [
  { id: 'gpt-image-1', profile: 'gpt-image', engine: { kind: 'synthetic', delayMsPerImage: 300 } },
  { id: 'gpt-image-slow', profile: 'gpt-image', engine: { kind: 'synthetic', delayMsPerImage: 4_000 } },
  { id: 'dall-e-3', profile: 'dall-e-3', engine: { kind: 'synthetic' } },
];

/** Horizontally adjacent pixels that differ: a preview shows fewer than the finished image. */
async function detail(b64: string): Promise<number> {
  const { data, info } = await rawPixels(Buffer.from(b64, 'base64'));
  const channels = info.channels;
  let changes = 0;
  for (let y = 0; y < info.height; y++) {
    for (let x = 1; x < info.width; x++) {
      const i = (y * info.width + x) * channels;
      for (let c = 0; c < channels; c++) {
        if (data[i + c] !== data[i + c - channels]) {
          changes++;
          break;
        }
      }
    }
  }
  return changes;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const events: T[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('stream: true with the official openai client', () => {
  const stack = useImageStack({ models });
  const client = () => new OpenAI({ apiKey: API_KEY, baseURL: `${stack.url}/v1`, maxRetries: 0 });

  it('streams two coarser partial images, then the completed image as asked', async () => {
    const { data: stream, response } = await client()
      .images.generate({ model: 'gpt-image-1', prompt: 'a lighthouse at dusk', stream: true, partial_images: 2, output_format: 'webp', quality: 'low' })
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-job-id')).toBeTruthy();
    const events = await collect(stream);
    expect(events.map((event) => event.type)).toEqual(['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed']);
    const [first, second, completed] = events;
    if (first?.type !== 'image_generation.partial_image' || second?.type !== 'image_generation.partial_image') throw new Error('expected partials');
    if (completed?.type !== 'image_generation.completed') throw new Error('expected completed');
    expect([first.partial_image_index, second.partial_image_index]).toEqual([0, 1]);
    for (const event of events) {
      expect(event).toMatchObject({ size: '1024x1024', quality: 'low', output_format: 'webp', background: 'opaque' });
      expect(await describeImage(Buffer.from(event.b64_json, 'base64'))).toMatchObject({ format: 'webp', width: 1024, height: 1024 });
    }
    expect(completed.usage.total_tokens).toBeGreaterThan(0);
    const [d0, d1, dFinal] = await Promise.all(events.map((event) => detail(event.b64_json)));
    expect(d0!).toBeLessThan(d1!);
    expect(d1!).toBeLessThan(dFinal!);
    // The completed image is the job's stored result, as a poll returns it.
    const job = (await (await stack.request(`/v1/images/jobs/${response.headers.get('x-job-id')}`)).json()) as { status: string };
    expect(job.status).toBe('succeeded');
    // Previews live under the job's own prefix, so the retention sweep removes them with it.
    const jobId = response.headers.get('x-job-id')!;
    expect(readdirSync(join(stack.dir, 'objects', 'objects', 'jobs', jobId, 'partial')).sort()).toEqual(['0-0.webp', '0-1.webp']);
  });

  it('streams an edit with one partial image', async () => {
    const image = await makePng(256, 256, { alpha: true });
    const stream = await client().images.edit({
      model: 'gpt-image-1',
      image: await toFile(image, 'a.png', { type: 'image/png' }),
      prompt: 'add a hat',
      size: '1024x1536',
      stream: true,
      partial_images: 1,
    });
    const events = await collect(stream);
    expect(events.map((event) => event.type)).toEqual(['image_edit.partial_image', 'image_edit.completed']);
    expect(events[0]).toMatchObject({ partial_image_index: 0, size: '1024x1536', output_format: 'png' });
    const finalImage = await describeImage(Buffer.from(events[1]!.b64_json, 'base64'));
    expect(finalImage).toMatchObject({ format: 'png', width: 1024, height: 1536 });
  });

  it('sends one completed event per image and none partial with partial_images 0', async () => {
    const events = await collect(await client().images.generate({ model: 'gpt-image-1', prompt: 'a field', stream: true, partial_images: 0, n: 2 }));
    expect(events.map((event) => event.type)).toEqual(['image_generation.completed', 'image_generation.completed']);
    expect(events[0]!.b64_json).not.toEqual(events[1]!.b64_json);
  });

  it('answers a 400 on stream for dall-e-3, before any stream', async () => {
    const error = await client().images.generate({ model: 'dall-e-3', prompt: 'an otter', stream: true }).then(collect, (e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ status: 400, param: 'stream', code: 'unknown_parameter' });
  });

  it('raises a cancelled job as an APIError while iterating, naming the job', async () => {
    const { data: stream, response } = await client()
      .images.generate({ model: 'gpt-image-slow', prompt: 'a storm', stream: true, partial_images: 3 })
      .withResponse();
    const jobId = response.headers.get('x-job-id')!;
    const seen: string[] = [];
    const iterate = (async () => {
      for await (const event of stream) seen.push(event.type);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    // Cancelled mid-image, once a first preview has arrived.
    await waitFor(async () => seen.length > 0);
    const cancelled = await stack.request(`/v1/images/jobs/${jobId}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBeLessThan(300);
    const error = await iterate;
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ code: 'job_cancelled' });
    expect((error as APIError).message).toContain(jobId);
    expect(seen).toEqual(['image_generation.partial_image']);
  });
});
