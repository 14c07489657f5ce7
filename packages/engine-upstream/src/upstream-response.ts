import { z } from 'zod';
import { ImagesUsageSchema } from '@imageforge/contracts';
import { probeImage, type EncodedImage, type EngineResult } from '@imageforge/engine-core';

const UpstreamImagesResponseSchema = z.object({
  data: z.array(
    z.object({
      b64_json: z.string().nullish(),
      url: z.string().nullish(),
      revised_prompt: z.string().nullish(),
    }),
  ),
  usage: z.unknown().optional(),
});

export interface ResponseImageSource {
  download(url: string, signal: AbortSignal): Promise<Buffer>;
}

/**
 * The upstream's images as it encoded them: bytes from `b64_json`, or fetched from `url`,
 * with format and size read from the file's own header. The worker stores a file in the
 * requested format as it is, so the caller gets the upstream's very bytes. `revised_prompt`
 * and `usage` pass through; a usage that is not OpenAI's shape is left to the worker's estimate.
 */
export async function readImagesResponse(
  body: unknown,
  expected: { width: number; height: number },
  source: ResponseImageSource,
  signal: AbortSignal,
): Promise<EngineResult<EncodedImage>> {
  const parsed = UpstreamImagesResponseSchema.safeParse(body);
  if (!parsed.success) throw new Error(`upstream answered an images body of the wrong shape: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  // Room for an upstream that answers bigger than asked: the worker's size check names the mismatch.
  const maxPixels = Math.max(1, expected.width * expected.height) * 16;
  const images = await Promise.all(
    parsed.data.data.map(async (datum, index) => {
      const bytes = datum.b64_json
        ? Buffer.from(datum.b64_json, 'base64')
        : datum.url
          ? await source.download(datum.url, signal)
          : undefined;
      if (!bytes) throw new Error(`upstream image ${index} has neither b64_json nor url`);
      const probe = await probeImage(bytes, { maxPixels });
      return { kind: 'encoded', data: bytes, format: probe.format, width: probe.width, height: probe.height } satisfies EncodedImage;
    }),
  );
  const revisedPrompt = parsed.data.data.find((datum) => datum.revised_prompt)?.revised_prompt ?? undefined;
  const usage = ImagesUsageSchema.safeParse(parsed.data.usage);
  return {
    images,
    ...(revisedPrompt ? { revisedPrompt } : {}),
    ...(usage.success ? { usage: usage.data } : {}),
  };
}
