import {
  defaultModelRegistry,
  toImageCompletedEvents,
  toImagePartialEvent,
  toImagesResponse,
  validateGenerationRequest,
  type ImagesUsage,
} from '../src';

const registry = defaultModelRegistry();
const usage: ImagesUsage = {
  input_tokens: 10,
  output_tokens: 200,
  total_tokens: 210,
  input_tokens_details: { text_tokens: 10, image_tokens: 0 },
  output_tokens_details: { image_tokens: 200, text_tokens: 0 },
};

const paramsFor = (body: Record<string, unknown>) =>
  validateGenerationRequest({ body: { prompt: 'a kite', model: 'gpt-image-1', stream: true, ...body }, source: 'json' }, registry).params;

describe(toImagePartialEvent.name, () => {
  it('names the event after the endpoint and echoes the settings as a response body does', () => {
    const params = paramsFor({ size: '1536x1024', quality: 'low', output_format: 'webp', background: 'transparent', partial_images: 2 });
    const body = toImagesResponse({ params, facts: { finishedAt: 0 }, data: [] });
    for (const [operation, type] of [['generation', 'image_generation.partial_image'], ['edit', 'image_edit.partial_image']] as const) {
      expect(toImagePartialEvent({ operation, params, b64_json: 'QUJD', partialIndex: 1, createdAt: 1_760_000_000_999 })).toEqual({
        type,
        b64_json: 'QUJD',
        created_at: 1_760_000_000,
        size: body.size,
        quality: body.quality,
        background: body.background,
        output_format: body.output_format,
        partial_image_index: 1,
      });
    }
    expect(body).toMatchObject({ size: '1536x1024', quality: 'low', background: 'transparent', output_format: 'webp' });
  });
});

describe(toImageCompletedEvents.name, () => {
  it('makes one completed event per image, each with the call usage and without a partial index', () => {
    const params = paramsFor({ n: 2, output_format: 'jpeg', quality: 'high' });
    const response = toImagesResponse({ params, facts: { finishedAt: 1_760_000_500_000, usage }, data: [{ b64_json: 'AAA' }, { b64_json: 'BBB' }] });
    const events = toImageCompletedEvents('edit', response);
    expect(events).toEqual([
      { type: 'image_edit.completed', b64_json: 'AAA', created_at: 1_760_000_500, size: '1024x1024', quality: 'high', background: 'opaque', output_format: 'jpeg', usage },
      { type: 'image_edit.completed', b64_json: 'BBB', created_at: 1_760_000_500, size: '1024x1024', quality: 'high', background: 'opaque', output_format: 'jpeg', usage },
    ]);
    expect(toImageCompletedEvents('generation', response)[0]!.type).toBe('image_generation.completed');
  });
});
