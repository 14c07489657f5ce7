import { contentTypeFor, decodeImage, encodeImage, extensionFor, isEncodedImage, probeImage, type EncodedImage, type EngineImage, type EnginePreview, type ImageProbe } from '@imageforge/engine-core';
import type { NormalizedImageParams } from '@imageforge/contracts';
import { outputImageKey, partialImageKey, type PartialImage, type StoredImage } from '@imageforge/jobs';
import type { ObjectStorage } from '@imageforge/storage';

/**
 * Encodes the engine's images as the caller asked and uploads them under keys
 * derived from the job id and index: a retried job overwrites its own objects,
 * so retries never leave extra ones behind. An image the engine already encoded
 * in the requested format is stored as it came, never decoded and re-encoded.
 */
export async function storeOutputImages(
  storage: ObjectStorage,
  jobId: string,
  images: readonly EngineImage[],
  params: NormalizedImageParams,
): Promise<StoredImage[]> {
  const extension = extensionFor(params.outputFormat);
  return Promise.all(
    images.map(async (image, index) => {
      const encoded = await inRequestedFormat(image, params);
      const key = outputImageKey(jobId, index, extension);
      const contentType = contentTypeFor(encoded.format);
      await storage.put(key, encoded.data, { contentType });
      return { key, contentType, width: encoded.width, height: encoded.height, bytes: encoded.data.length };
    }),
  );
}

/** Encodes one engine preview as the caller's output format and stores it under the job; returns what to announce. */
export async function storePartialImage(
  storage: ObjectStorage,
  jobId: string,
  preview: EnginePreview,
  params: NormalizedImageParams,
  encoding: PreviewEncoding = {},
): Promise<PartialImage> {
  const encoded = await inRequestedFormat(preview.image, params, encoding);
  const key = partialImageKey(jobId, preview.imageIndex, preview.partialIndex, extensionFor(params.outputFormat));
  await storage.put(key, encoded.data, { contentType: contentTypeFor(encoded.format) });
  return { key, imageIndex: preview.imageIndex, partialIndex: preview.partialIndex };
}

/**
 * How previews are encoded, set by the operator: smaller and lossier than the image itself costs
 * the worker less CPU per preview and the stream fewer bytes. Absent fields: as the final image.
 */
export interface PreviewEncoding {
  /** Longest side in pixels. */
  maxSide?: number;
  /** jpeg/webp quality 0-100 in place of the request's `output_compression`. */
  compression?: number;
}

/** The request's size, scaled down to `maxSide` keeping its aspect. */
function previewSize(params: NormalizedImageParams, maxSide: number | undefined): { width: number; height: number } {
  const scale = maxSide === undefined ? 1 : Math.min(1, maxSide / Math.max(params.width, params.height));
  return { width: Math.max(1, Math.round(params.width * scale)), height: Math.max(1, Math.round(params.height * scale)) };
}

async function inRequestedFormat(image: EngineImage, params: NormalizedImageParams, preview?: PreviewEncoding): Promise<EncodedImage> {
  // Outputs are checked to be the request's size; previews may come smaller and are scaled here, in libvips.
  const size = preview ? previewSize(params, preview.maxSide) : { width: image.width, height: image.height };
  const resized = size.width !== image.width || size.height !== image.height;
  if (isEncodedImage(image) && image.format === params.outputFormat && !resized) return image;
  const options = {
    format: params.outputFormat,
    compression: preview?.compression ?? params.outputCompression,
    background: params.background,
    ...(resized ? { size } : {}),
    // A preview is seen once and replaced within a second: the least zlib/webp effort will do.
    ...(preview ? { fast: true } : {}),
  };
  // Another format than asked: decode once and encode as the caller wants.
  const raw = isEncodedImage(image) ? await decodeImage(image.data, { maxPixels: image.width * image.height }) : image;
  return encodeImage(raw, options);
}

/**
 * Header reads of encoded images, by buffer: an engine that serves one prepared file
 * many times (a cache) is checked once, not once per job.
 */
const probed = new WeakMap<Buffer, ImageProbe>();

async function probeOnce(data: Buffer): Promise<ImageProbe> {
  const known = probed.get(data);
  if (known) return known;
  const probe = await probeImage(data, { maxPixels: Number.MAX_SAFE_INTEGER });
  probed.set(data, probe);
  return probe;
}

/** An engine that returns the wrong count or size is a fault in the engine, not in the job. */
export async function assertEngineOutput(images: readonly EngineImage[], params: NormalizedImageParams): Promise<void> {
  if (images.length !== params.n) throw new Error(`engine returned ${images.length} images, expected ${params.n}`);
  for (const [index, image] of images.entries()) {
    const expected = `expected ${params.width}x${params.height}`;
    if (isEncodedImage(image)) {
      // The file's own header, not the engine's word, says what the caller will get.
      const probe = await probeOnce(image.data).catch((error: Error) => {
        throw new Error(`engine image ${index} is not a readable ${image.format} file: ${error.message}`);
      });
      if (probe.width !== params.width || probe.height !== params.height || probe.format !== image.format) {
        throw new Error(`engine image ${index} is a ${probe.width}x${probe.height} ${probe.format} file, ${expected} ${image.format}`);
      }
    } else if (image.width !== params.width || image.height !== params.height || image.data.length !== image.width * image.height * 4) {
      throw new Error(`engine image ${index} is ${image.width}x${image.height} (${image.data.length} bytes), ${expected} RGBA`);
    }
  }
}
