import sharp, { type Metadata } from 'sharp';
import { ImageDecodeError, ImageTooLargeError } from './image-codec-errors';
import type { Background, EncodedImage, OutputFormat, RawImage } from './image-engine';

export { ImageDecodeError, ImageTooLargeError } from './image-codec-errors';

/**
 * png, jpeg and webp in and out. All pixel work runs inside sharp on libuv's
 * threadpool, so decoding a large upload never stalls the event loop (which
 * would cost a worker its BullMQ lock).
 */

export type SniffedImageFormat = OutputFormat | 'unknown';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Identifies an upload by its magic bytes; a client's mimetype is never trusted. */
export function sniffImageFormat(buf: Uint8Array): SniffedImageFormat {
  if (PNG_SIGNATURE.every((byte, i) => buf[i] === byte)) return 'png';
  if (buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf.length >= 12 && ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 12) === 'WEBP') return 'webp';
  return 'unknown';
}

function ascii(buf: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...buf.subarray(start, end));
}

export interface ProbeOptions {
  /** Largest width*height accepted; anything bigger is refused from its header alone. */
  maxPixels: number;
}

export interface ImageProbe {
  format: OutputFormat;
  /** Displayed size, after the EXIF orientation is applied. */
  width: number;
  height: number;
  hasAlpha: boolean;
  bytes: number;
}

/** Reads format, size and alpha from the header without decoding pixels. */
export async function probeImage(buf: Buffer, options: ProbeOptions): Promise<ImageProbe> {
  const format = sniffImageFormat(buf);
  if (format === 'unknown') {
    throw new ImageDecodeError('unsupported image format: expected png, jpeg or webp');
  }
  // The pixel limit is ours to enforce here, with the real dimensions in the error.
  let metadata: Metadata;
  try {
    metadata = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageDecodeError(`invalid ${format} image: ${messageOf(error)}`, { cause: error });
  }
  const width = metadata.autoOrient?.width ?? metadata.width;
  const height = metadata.autoOrient?.height ?? metadata.height;
  if (!width || !height) throw new ImageDecodeError(`invalid ${format} image: no dimensions`);
  if (width * height > options.maxPixels) throw new ImageTooLargeError(width, height, options.maxPixels);
  return { format, width, height, hasAlpha: metadata.hasAlpha, bytes: buf.length };
}

/** Edge of the thumbnail a full check decodes into; the source streams through it row by row. */
const CHECK_EDGE = 64;

/**
 * Proves every byte of the image decodes (a truncated or corrupt file throws
 * ImageDecodeError) without holding its pixels: libvips streams the rows through a
 * reduce to a 64-pixel thumbnail, so memory is its row buffers, not the image,
 * where a full decode costs width * height * 4 bytes.
 */
export async function verifyImageDecodes(buf: Buffer, options: ProbeOptions): Promise<ImageProbe> {
  const probe = await probeImage(buf, options);
  try {
    await sharp(buf, { failOn: 'error', limitInputPixels: options.maxPixels, sequentialRead: true })
      .resize(CHECK_EDGE, CHECK_EDGE, { fit: 'inside' })
      .raw()
      .toBuffer();
  } catch (error) {
    throw new ImageDecodeError(`could not decode ${probe.format} image: ${messageOf(error)}`, { cause: error });
  }
  return probe;
}

export interface DecodeOptions extends ProbeOptions {
  /** Resize target; the image is stretched to exactly width x height (fit `fill`). Default: keep size. */
  width?: number;
  height?: number;
}

/** Fully decodes to RGBA (alpha added when absent); truncated or corrupt data throws ImageDecodeError. */
export async function decodeImage(buf: Buffer, options: DecodeOptions): Promise<RawImage> {
  const probe = await probeImage(buf, options);
  try {
    let pipeline = sharp(buf, { failOn: 'error', limitInputPixels: options.maxPixels, autoOrient: true })
      .toColourspace('srgb')
      .ensureAlpha();
    if (options.width !== undefined || options.height !== undefined) {
      pipeline = pipeline.resize(options.width, options.height, { fit: 'fill' });
    }
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`decoded to ${info.channels} channels`);
    return { data, width: info.width, height: info.height };
  } catch (error) {
    if (error instanceof ImageTooLargeError) throw error;
    throw new ImageDecodeError(`could not decode ${probe.format} image: ${messageOf(error)}`, { cause: error });
  }
}

export interface EncodeOptions {
  format: OutputFormat;
  /**
   * 0-100 as in OpenAI's `output_compression`: 100 keeps the most detail. Sets the
   * jpeg/webp quality (0 is treated as 1); png is always lossless. Default 100.
   */
  compression?: number;
  /** `transparent` keeps the alpha channel (png, webp); anything else flattens onto white. */
  background: Background;
  /** Scales the image to exactly this size (in libvips, off the JS thread). Default: as it is. */
  size?: { width: number; height: number };
  /** Least encoder effort (png zlib level 1, webp effort 0): for previews, which are seen once and replaced. */
  fast?: boolean;
}

export async function encodeImage(raw: RawImage, options: EncodeOptions): Promise<EncodedImage> {
  const { width, height, data } = raw;
  if (data.length !== width * height * 4) {
    throw new RangeError(`raw image holds ${data.length} bytes, expected ${width}x${height}x4`);
  }
  let pipeline = sharp(data, { raw: { width, height, channels: 4 } });
  const [outWidth, outHeight] = [options.size?.width ?? width, options.size?.height ?? height];
  if (outWidth !== width || outHeight !== height) pipeline = pipeline.resize(outWidth, outHeight, { fit: 'fill' });
  // jpeg has no alpha: without flattening, sharp would drop it and leave whatever RGB sat under alpha 0.
  if (options.background !== 'transparent' || options.format === 'jpeg') {
    pipeline = pipeline.flatten({ background: '#ffffff' });
  }
  const quality = Math.min(100, Math.max(1, Math.round(options.compression ?? 100)));
  switch (options.format) {
    case 'png':
      pipeline = pipeline.png({ compressionLevel: options.fast ? 1 : 6 });
      break;
    case 'jpeg':
      // Chroma subsampling smears the colour edges a near-lossless request asked to keep.
      pipeline = pipeline.jpeg({ quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0' });
      break;
    case 'webp':
      pipeline = pipeline.webp({ quality, alphaQuality: 100, ...(options.fast ? { effort: 0 } : {}) });
      break;
  }
  return { kind: 'encoded', data: await pipeline.toBuffer(), format: options.format, width: outWidth, height: outHeight };
}

const CONTENT_TYPES: Record<OutputFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
};

export function contentTypeFor(format: OutputFormat): string {
  return CONTENT_TYPES[format];
}

/** File extension without the dot, as used in storage keys. */
export function extensionFor(format: OutputFormat): string {
  return format;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
