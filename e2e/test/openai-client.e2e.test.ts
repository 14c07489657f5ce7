import OpenAI, { toFile } from 'openai';
import { useImageStack, API_KEY } from './support/image-stack.harness';
import { describeImage, makeMask, makePng, rawPixels } from './support/test-images';

describe.each(['local', 's3'] as const)('the official openai client against the stack (%s storage)', (storage) => {
  const stack = useImageStack({ storage });
  const client = () => new OpenAI({ apiKey: API_KEY, baseURL: `${stack.url}/v1`, maxRetries: 0 });

  it('generates dall-e-2 images as links that can be fetched', async () => {
    const response = await client().images.generate({ model: 'dall-e-2', prompt: 'a lighthouse at dusk', n: 2, size: '256x256' });
    expect(response.data).toHaveLength(2);
    for (const datum of response.data ?? []) {
      expect(datum.url).toMatch(/^http/);
      const fetched = await fetch(datum.url!);
      expect(fetched.status).toBe(200);
      expect(await describeImage(Buffer.from(await fetched.arrayBuffer()))).toMatchObject({ format: 'png', width: 256, height: 256 });
    }
  });

  it('generates dall-e-3 with a revised prompt and b64_json of the requested size', async () => {
    const response = await client().images.generate({
      model: 'dall-e-3',
      prompt: 'a cute baby sea otter',
      size: '1792x1024',
      quality: 'hd',
      style: 'natural',
      response_format: 'b64_json',
    });
    const datum = response.data?.[0];
    expect(typeof datum?.revised_prompt).toBe('string');
    expect(await describeImage(Buffer.from(datum!.b64_json!, 'base64'))).toMatchObject({ format: 'png', width: 1792, height: 1024 });
  });

  it('generates gpt-image-1 webp with a transparent background and echoes the settings with usage', async () => {
    const response = await client().images.generate({
      model: 'gpt-image-1',
      prompt: 'a sticker of a cat',
      size: '1024x1536',
      output_format: 'webp',
      background: 'transparent',
      quality: 'low',
    });
    expect(response).toMatchObject({ background: 'transparent', output_format: 'webp', quality: 'low', size: '1024x1536' });
    expect(response.usage?.total_tokens).toBeGreaterThan(0);
    const bytes = Buffer.from(response.data![0]!.b64_json!, 'base64');
    expect(await describeImage(bytes)).toMatchObject({ format: 'webp', width: 1024, height: 1536, hasAlpha: true });
    const { data } = await rawPixels(bytes);
    const alphas = new Set<number>();
    for (let i = 3; i < data.length; i += 4) alphas.add(data[i]!);
    expect(alphas.has(0) || [...alphas].some((alpha) => alpha < 255)).toBe(true);
  });

  it('generates gpt-image-1 jpeg with compression', async () => {
    const response = await client().images.generate({ model: 'gpt-image-1', prompt: 'a field', output_format: 'jpeg', output_compression: 40 });
    const bytes = Buffer.from(response.data![0]!.b64_json!, 'base64');
    expect(await describeImage(bytes)).toMatchObject({ format: 'jpeg', width: 1024, height: 1024 });
  });

  it('edits with image[] and a mask, changing only the masked region', async () => {
    const original = await makePng(256, 256, { alpha: true });
    const second = await makePng(256, 256, { seed: 3 });
    const mask = await makeMask(256, 256, { x: 64, y: 64, w: 64, h: 64 });
    const response = await client().images.edit({
      model: 'gpt-image-1',
      image: [await toFile(original, 'a.png', { type: 'image/png' }), await toFile(second, 'b.png', { type: 'image/png' })],
      mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
      prompt: 'put a hat on it',
      size: '1024x1024',
    });
    const out = Buffer.from(response.data![0]!.b64_json!, 'base64');
    expect(await describeImage(out)).toMatchObject({ format: 'png', width: 1024, height: 1024 });
  });

  it('edits a dall-e-2 image with a mask and leaves unmasked pixels unchanged', async () => {
    const original = await makePng(256, 256, { alpha: true });
    const mask = await makeMask(256, 256, { x: 100, y: 100, w: 50, h: 50 });
    const response = await client().images.edit({
      image: await toFile(original, 'otter.png', { type: 'image/png' }),
      mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
      prompt: 'a beret',
      size: '256x256',
      response_format: 'b64_json',
    });
    const before = await rawPixels(original);
    const after = await rawPixels(Buffer.from(response.data![0]!.b64_json!, 'base64'));
    let changedInside = 0;
    let changedOutside = 0;
    for (let y = 0; y < 256; y++) {
      for (let x = 0; x < 256; x++) {
        const i = (y * 256 + x) * 4;
        const differs = [0, 1, 2].some((c) => before.data[i + c] !== after.data[i + c]);
        const inside = x >= 100 && x < 150 && y >= 100 && y < 150;
        if (differs && inside) changedInside++;
        if (differs && !inside) changedOutside++;
      }
    }
    expect(changedOutside).toBe(0);
    expect(changedInside).toBeGreaterThan(1000);
  });

  it('creates variations of an image', async () => {
    const image = await makePng(256, 256);
    const response = await client().images.createVariation({
      image: await toFile(image, 'otter.png', { type: 'image/png' }),
      n: 2,
      size: '256x256',
      response_format: 'b64_json',
    });
    expect(response.data).toHaveLength(2);
    const [a, b] = response.data!.map((datum) => Buffer.from(datum.b64_json!, 'base64'));
    expect(await describeImage(a!)).toMatchObject({ format: 'png', width: 256, height: 256 });
    expect(a!.equals(b!)).toBe(false);
  });

  it('raises BadRequestError with param and code for an unsupported size', async () => {
    const error = await client()
      .images.generate({ model: 'dall-e-3', prompt: 'x', size: '512x512' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'size', code: 'invalid_value' });
    expect((error as InstanceType<typeof OpenAI.APIError>).requestID).toMatch(/^req_/);
  });

  it('raises AuthenticationError for a wrong key', async () => {
    const wrong = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${stack.url}/v1`, maxRetries: 0 });
    await expect(wrong.images.generate({ prompt: 'x' })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('raises NotFoundError with model_not_found for an unknown model', async () => {
    const error = await client()
      .images.generate({ model: 'dall-e-9', prompt: 'x' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ code: 'model_not_found' });
  });

  it('answers a parameter of another model family as unknown_parameter, and integer bounds in OpenAI words', async () => {
    const style = await client()
      .images.generate({ model: 'gpt-image-1', prompt: 'x', style: 'vivid' })
      .catch((caught: unknown) => caught);
    expect(style).toBeInstanceOf(OpenAI.BadRequestError);
    expect(style).toMatchObject({ status: 400, param: 'style', code: 'unknown_parameter', type: 'invalid_request_error' });
    expect((style as Error).message).toContain("Unknown parameter: 'style'.");
    const background = await client()
      .images.generate({ model: 'dall-e-3', prompt: 'x', background: 'opaque' })
      .catch((caught: unknown) => caught);
    expect(background).toMatchObject({ status: 400, param: 'background', code: 'unknown_parameter' });
    const n = await client()
      .images.generate({ model: 'dall-e-2', prompt: 'x', n: 0 })
      .catch((caught: unknown) => caught);
    expect(n).toMatchObject({ status: 400, param: 'n', code: 'integer_below_min_value' });
    expect((n as Error).message).toContain("Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead.");
    expect((n as InstanceType<typeof OpenAI.APIError>).headers?.get('openai-version')).toBe('2020-10-01');
  });

  it('serves gpt-image-2-2026-04-21 and chatgpt-image-latest, with OpenAI headers and output token details', async () => {
    const { data, response } = await client()
      .images.generate({ model: 'gpt-image-2-2026-04-21', prompt: 'a kite', size: '1024x1024', quality: 'low' })
      .withResponse();
    expect(response.headers.get('openai-version')).toBe('2020-10-01');
    expect(Number(response.headers.get('openai-processing-ms'))).toBeGreaterThanOrEqual(0);
    expect(response.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
    expect(data.usage).toMatchObject({ output_tokens_details: { image_tokens: data.usage!.output_tokens, text_tokens: 0 } });
    const edited = await client().images.edit({
      model: 'chatgpt-image-latest',
      prompt: 'add a hat',
      image: await toFile(await makePng(256, 256, { alpha: true }), 'in.png', { type: 'image/png' }),
    });
    expect(edited.data).toHaveLength(1);
    const ids = (await client().models.list()).data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-image-2-2026-04-21', 'chatgpt-image-latest']));
  });

  it('lists and retrieves models', async () => {
    const list = await client().models.list();
    expect(list.data.map((model) => model.id)).toEqual(expect.arrayContaining(['dall-e-2', 'dall-e-3', 'gpt-image-1']));
    expect(await client().models.retrieve('gpt-image-1')).toMatchObject({ id: 'gpt-image-1', object: 'model' });
  });
});
