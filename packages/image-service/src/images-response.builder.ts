import { formatSize, type NormalizedImageParams } from '@imageforge/contracts';
import type { ImageJobResult } from '@imageforge/jobs';
import type { ObjectStorage } from '@imageforge/storage';

export interface ImageDatum {
  url?: string;
  b64_json?: string;
  revised_prompt?: string;
}

/** OpenAI's ImagesResponse; GPT image models add usage and echo the resolved settings. */
export interface ImagesResponseBody {
  created: number;
  data: ImageDatum[];
  background?: string;
  output_format?: string;
  quality?: string;
  size?: string;
  usage?: ImageJobResult['usage'];
}

export interface ResponseBuildOptions {
  /** Lifetime of `url` links; OpenAI's last 60 minutes. */
  urlTtlSeconds: number;
}

/**
 * Turns a job result (storage keys) into the body the sync call returns. Links are
 * signed on every call, so a poll long after completion still gets fresh ones.
 */
export async function buildImagesResponse(
  result: ImageJobResult,
  params: NormalizedImageParams,
  storage: ObjectStorage,
  options: ResponseBuildOptions,
): Promise<ImagesResponseBody> {
  const data = await Promise.all(
    result.images.map(async (image): Promise<ImageDatum> => {
      const datum: ImageDatum =
        params.responseFormat === 'b64_json'
          ? { b64_json: (await storage.get(image.key)).toString('base64') }
          : { url: await storage.signedUrl(image.key, { expiresInSeconds: options.urlTtlSeconds }) };
      if (result.revisedPrompt !== undefined) datum.revised_prompt = result.revisedPrompt;
      return datum;
    }),
  );
  const body: ImagesResponseBody = { created: Math.floor(result.finishedAt / 1000), data };
  if (params.profile === 'gpt-image' || params.profile === 'gpt-image-2') {
    body.background = params.background;
    body.output_format = params.outputFormat;
    body.quality = params.quality;
    body.size = formatSize(params.width, params.height);
    if (result.usage) body.usage = result.usage;
  }
  return body;
}
