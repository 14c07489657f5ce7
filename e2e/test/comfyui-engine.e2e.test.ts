import OpenAI, { InternalServerError, toFile } from 'openai';
import { ComfyTestServer } from '../../packages/engine-comfyui/test/fixtures/comfy-test-server';
import { EDIT_WORKFLOW, FAILING_WORKFLOW, GENERATE_WORKFLOW } from '../../packages/engine-comfyui/test/fixtures/comfy-workflows';
import { API_KEY, useImageStack } from './support/image-stack.harness';
import { describeImage, makeMask, makePng, rawPixels } from './support/test-images';

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const events: T[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('the API on the comfyui engine, with a ComfyUI-protocol server running the graphs', () => {
  let comfy: ComfyTestServer | undefined;
  const stack = useImageStack({
    workerConcurrency: 2,
    // The harness calls this before it starts the worker, whose engine connects at load.
    models: async () => {
      comfy = await ComfyTestServer.start({ stepDelayMs: 5 });
      const engine = (workflows: Record<string, unknown>) => ({ kind: 'comfyui', baseUrl: comfy!.url, steps: 4, historyPollMs: 50, workflows });
      return [
        { id: 'comfy-sdxl', profile: 'gpt-image', queue: 'gpu', engine: engine({ generate: GENERATE_WORKFLOW, edit: EDIT_WORKFLOW }) },
        { id: 'comfy-small', profile: 'dall-e-2', queue: 'gpu', engine: engine({ generate: GENERATE_WORKFLOW, edit: EDIT_WORKFLOW }) },
        { id: 'comfy-broken', profile: 'dall-e-2', queue: 'gpu', engine: engine({ generate: FAILING_WORKFLOW }) },
      ];
    },
  });
  // Registered after the stack's own hooks, so the worker has let go of the server first.
  afterAll(async () => comfy?.stop());
  const client = () => new OpenAI({ apiKey: API_KEY, baseURL: `${stack.url}/v1`, maxRetries: 0 });

  it('streams two partial images from the preview frames, then the completed image', async () => {
    const stream = await client().images.generate({ model: 'comfy-sdxl', prompt: 'a lighthouse at dusk', size: '1024x1024', stream: true, partial_images: 2 });
    const events = await collect(stream);
    expect(events.map((event) => event.type)).toEqual(['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed']);
    const [first, second, completed] = events;
    if (first?.type !== 'image_generation.partial_image' || second?.type !== 'image_generation.partial_image') throw new Error('expected partials');
    expect([first.partial_image_index, second.partial_image_index]).toEqual([0, 1]);
    // Previews come at 1/8 of the size; the worker scales them to the size it streams.
    for (const event of events) expect(await describeImage(Buffer.from(event.b64_json, 'base64'))).toMatchObject({ format: 'png', width: 1024, height: 1024 });
    expect(comfy!.prompts.at(-1)!.workflow['6']!.inputs.text).toBe('a photo of a lighthouse at dusk');
  });

  it('answers b64_json with the files SaveImage wrote, n from one batch', async () => {
    const before = comfy!.prompts.length;
    const response = await client().images.generate({ model: 'comfy-small', prompt: 'a red cat', n: 2, size: '256x256', response_format: 'b64_json' });
    expect(response.data).toHaveLength(2);
    const [a, b] = response.data!.map((datum) => Buffer.from(datum.b64_json!, 'base64'));
    for (const image of [a!, b!]) expect(await describeImage(image)).toMatchObject({ format: 'png', width: 256, height: 256 });
    expect(a!.equals(b!)).toBe(false);
    expect(comfy!.prompts.slice(before).map((prompt) => prompt.workflow['5']!.inputs)).toEqual([{ width: 256, height: 256, batch_size: 2 }]);
  });

  it('edits through /upload/mask: pixels the OpenAI mask leaves opaque stay the input image', async () => {
    const original = await makePng(256, 256, { alpha: true });
    const response = await client().images.edit({
      model: 'comfy-small',
      image: await toFile(original, 'in.png', { type: 'image/png' }),
      mask: await toFile(await makeMask(256, 256, { x: 64, y: 64, w: 64, h: 64 }), 'mask.png', { type: 'image/png' }),
      prompt: 'a hat',
      size: '256x256',
      response_format: 'b64_json',
    });
    const before = await rawPixels(original);
    const after = await rawPixels(Buffer.from(response.data![0]!.b64_json!, 'base64'));
    let changedOutside = 0;
    let changedInside = 0;
    for (let y = 0; y < 256; y++) {
      for (let x = 0; x < 256; x++) {
        const i = (y * 256 + x) * 4;
        const changed = [0, 1, 2].some((c) => before.data[i + c] !== after.data[i + c]);
        const inside = x >= 64 && x < 128 && y >= 64 && y < 128;
        if (changed && inside) changedInside++;
        if (changed && !inside) changedOutside++;
      }
    }
    expect(changedOutside).toBe(0);
    expect(changedInside).toBeGreaterThan(64 * 64 * 0.5);
  });

  it('fails the job once, without retries, with the failing node and its message', async () => {
    const before = comfy!.prompts.length;
    const error = await client()
      .images.generate({ model: 'comfy-broken', prompt: 'anything', size: '256x256' })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).message).toContain('ComfyUI FailingNode node 11 failed: checkpoint sd_xl_base_1.0.safetensors is corrupt');
    expect(comfy!.prompts.length - before).toBe(1);
  });
});
