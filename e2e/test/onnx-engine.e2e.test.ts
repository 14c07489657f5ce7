/**
 * @jest-environment <rootDir>/packages/engine-onnx/test/fixtures/onnx-test-environment.ts
 */
import { writeTinySdModel, type TinySdModel } from '../../packages/engine-onnx/test/fixtures/tiny-sd-model';
import OpenAI from 'openai';
import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';
import { describeImage, makeMask, makePng, rawPixels } from './support/test-images';

describe('the API on the onnx engine with a tiny Stable Diffusion model built by the test', () => {
  let model: TinySdModel | undefined;
  const stack = useImageStack({
    workerConcurrency: 1,
    models: async () => {
      model = await writeTinySdModel({ unet: 'identity' });
      const engine = { kind: 'onnx', modelDir: model.dir, steps: 3, guidanceScale: 2, strength: 0.5 };
      return [
        { id: 'tiny-sd', profile: 'dall-e-2', queue: 'gpu', engine },
        // The same weights under GPT image rules, which take `stream: true`.
        { id: 'tiny-sd-gpt', profile: 'gpt-image', queue: 'gpu', engine },
      ];
    },
  });
  afterAll(async () => model?.remove());

  const multipart = async (path: string, fill: (form: FormData) => Promise<void>) => {
    const form = new FormData();
    await fill(form);
    return stack.request(path, { method: 'POST', body: form });
  };

  it('lists the model and answers a generation through the queue with images of the requested size', async () => {
    expect((await bodyOf(await stack.request('/v1/models'))).data.map((entry: { id: string }) => entry.id)).toEqual(['tiny-sd', 'tiny-sd-gpt']);
    const response = await stack.request('/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny-sd', prompt: 'a red cat', n: 2, size: '256x256', response_format: 'b64_json' }),
    });
    const body = await bodyOf(response);
    expect(response.status).toBe(200);
    expect(body.data).toHaveLength(2);
    for (const datum of body.data) {
      expect(await describeImage(Buffer.from(datum.b64_json, 'base64'))).toMatchObject({ format: 'png', width: 256, height: 256 });
    }
  });

  it('answers an edit whose unmasked pixels stay the input image', async () => {
    const original = await makePng(256, 256, { alpha: true });
    const response = await multipart('/v1/images/edits', async (form) => {
      form.append('model', 'tiny-sd');
      form.append('image', new Blob([original], { type: 'image/png' }), 'in.png');
      form.append('mask', new Blob([await makeMask(256, 256, { x: 64, y: 64, w: 64, h: 64 })], { type: 'image/png' }), 'mask.png');
      form.append('prompt', 'a hat');
      form.append('size', '256x256');
      form.append('response_format', 'b64_json');
    });
    const body = await bodyOf(response);
    expect(response.status).toBe(200);
    const before = await rawPixels(original);
    const after = await rawPixels(Buffer.from(body.data[0].b64_json, 'base64'));
    let changedOutside = 0;
    for (let y = 0; y < 256; y++) {
      for (let x = 0; x < 256; x++) {
        if (x >= 64 && x < 128 && y >= 64 && y < 128) continue;
        const i = (y * 256 + x) * 4;
        if ([0, 1, 2].some((c) => before.data[i + c] !== after.data[i + c])) changedOutside++;
      }
    }
    expect(changedOutside).toBe(0);
  });

  it('answers a variation with an image of the requested size', async () => {
    const response = await multipart('/v1/images/variations', async (form) => {
      form.append('model', 'tiny-sd');
      form.append('image', new Blob([await makePng(256, 256)], { type: 'image/png' }), 'in.png');
      form.append('size', '256x256');
      form.append('response_format', 'b64_json');
    });
    const body = await bodyOf(response);
    expect(response.status).toBe(200);
    expect(await describeImage(Buffer.from(body.data[0].b64_json, 'base64'))).toMatchObject({ format: 'png', width: 256, height: 256 });
  });

  it('streams partial images the engine decoded from its running estimate, then the completed image', async () => {
    const client = new OpenAI({ apiKey: API_KEY, baseURL: `${stack.url}/v1`, maxRetries: 0 });
    const events = [];
    for await (const event of await client.images.generate({ model: 'tiny-sd-gpt', prompt: 'a red cat', size: '1024x1024', quality: 'low', stream: true, partial_images: 2 })) {
      events.push(event);
    }
    expect(events.map((event) => [event.type, 'partial_image_index' in event ? event.partial_image_index : null])).toEqual([
      ['image_generation.partial_image', 0],
      ['image_generation.partial_image', 1],
      ['image_generation.completed', null],
    ]);
    for (const event of events) {
      expect(await describeImage(Buffer.from(event.b64_json, 'base64'))).toMatchObject({ format: 'png', width: 1024, height: 1024 });
    }
  }, 60_000);
});
