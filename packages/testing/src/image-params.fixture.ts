import { NormalizedImageParamsSchema, type NormalizedImageParams } from '@imageforge/contracts';

/** Validated parameters of a small dall-e-2 request, for tests that build job payloads by hand. */
export function dallE2Params(overrides: Partial<NormalizedImageParams> = {}): NormalizedImageParams {
  return NormalizedImageParamsSchema.parse({
    model: 'dall-e-2',
    profile: 'dall-e-2',
    n: 1,
    width: 256,
    height: 256,
    quality: 'standard',
    responseFormat: 'url',
    outputFormat: 'png',
    background: 'opaque',
    ...overrides,
  });
}
