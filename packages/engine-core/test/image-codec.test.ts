import { crc32, deflateSync } from 'node:zlib';
import {
  contentTypeFor,
  decodeImage,
  encodeImage,
  extensionFor,
  ImageDecodeError,
  ImageTooLargeError,
  probeImage,
  sniffImageFormat,
  type RawImage,
} from '../src';

const maxPixels = 4096 * 4096;

/** Noisy RGBA picture (so lossy codecs and compressors have work to do); left third has alpha 0. */
function noisyImage(width: number, height: number): RawImage {
  const data = Buffer.alloc(width * height * 4);
  let state = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      state = (state * 1103515245 + 12345) >>> 0;
      data[i] = (x * 3 + (state >>> 24)) & 0xff;
      data[i + 1] = (y * 5) & 0xff;
      data[i + 2] = state >>> 16;
      data[i + 3] = x < width / 3 ? 0 : 255;
    }
  }
  return { data, width, height };
}

function pngChunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed) >>> 0);
  return Buffer.concat([length, typed, crc]);
}

/** A valid, tiny PNG whose IHDR claims width x height RGBA pixels. */
function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(256))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function alphaValues(raw: RawImage): Set<number> {
  const values = new Set<number>();
  for (let i = 3; i < raw.data.length; i += 4) values.add(raw.data[i]!);
  return values;
}

describe('image codec', () => {
  const source = noisyImage(96, 64);

  it.each(['png', 'jpeg', 'webp'] as const)('sniffs %s from its magic bytes', async (format) => {
    const { data } = await encodeImage(source, { format, background: 'opaque' });
    expect(sniffImageFormat(data)).toBe(format);
  });

  it('sniffs garbage, empty input and non-image RIFF files as unknown', () => {
    expect(sniffImageFormat(Buffer.from('GIF89a not welcome here'))).toBe('unknown');
    expect(sniffImageFormat(Buffer.alloc(0))).toBe('unknown');
    expect(sniffImageFormat(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBe('unknown');
  });

  it('probes format, size and alpha without decoding', async () => {
    const png = await encodeImage(source, { format: 'png', background: 'transparent' });
    const jpeg = await encodeImage(source, { format: 'jpeg', background: 'transparent' });
    await expect(probeImage(png.data, { maxPixels })).resolves.toEqual({
      format: 'png',
      width: 96,
      height: 64,
      hasAlpha: true,
      bytes: png.data.length,
    });
    await expect(probeImage(jpeg.data, { maxPixels })).resolves.toMatchObject({ format: 'jpeg', hasAlpha: false });
  });

  it('rejects garbage and corrupt headers with ImageDecodeError', async () => {
    await expect(probeImage(Buffer.from('definitely not an image'), { maxPixels })).rejects.toBeInstanceOf(ImageDecodeError);
    const brokenHeader = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 7)]);
    await expect(decodeImage(brokenHeader, { maxPixels })).rejects.toBeInstanceOf(ImageDecodeError);
  });

  it('refuses a tiny PNG that claims 30000x30000 pixels from its header alone', async () => {
    const bomb = pngClaiming(30000, 30000);
    expect(bomb.length).toBeLessThan(200);
    const error = await probeImage(bomb, { maxPixels }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect(error).toMatchObject({ width: 30000, height: 30000, maxPixels });
    await expect(decodeImage(bomb, { maxPixels })).rejects.toBeInstanceOf(ImageTooLargeError);
  });

  it('rejects a truncated PNG whose header still reads fine', async () => {
    const { data } = await encodeImage(source, { format: 'png', background: 'transparent' });
    const truncated = data.subarray(0, Math.floor(data.length / 2));
    await expect(probeImage(truncated, { maxPixels })).resolves.toMatchObject({ width: 96, height: 64 });
    await expect(decodeImage(truncated, { maxPixels })).rejects.toBeInstanceOf(ImageDecodeError);
  });

  it('round-trips a transparent PNG byte for byte', async () => {
    const { data, format, width, height } = await encodeImage(source, { format: 'png', background: 'transparent' });
    expect({ format, width, height }).toEqual({ format: 'png', width: 96, height: 64 });
    expect(contentTypeFor(format)).toBe('image/png');
    const decoded = await decodeImage(data, { maxPixels });
    expect(decoded.width).toBe(96);
    expect(decoded.height).toBe(64);
    const visible = (raw: RawImage) => raw.data.filter((_, i) => raw.data[i - (i % 4) + 3] !== 0);
    expect(Buffer.from(visible(decoded))).toEqual(Buffer.from(visible(source)));
    expect(alphaValues(decoded)).toEqual(new Set([0, 255]));
  });

  it('flattens an opaque PNG onto white', async () => {
    const { data } = await encodeImage(source, { format: 'png', background: 'opaque' });
    await expect(probeImage(data, { maxPixels })).resolves.toMatchObject({ hasAlpha: false });
    const decoded = await decodeImage(data, { maxPixels });
    expect(alphaValues(decoded)).toEqual(new Set([255]));
    expect([...decoded.data.subarray(0, 4)]).toEqual([255, 255, 255, 255]);
  });

  it('decodes an alpha-less jpeg to four channels with opaque alpha', async () => {
    const { data } = await encodeImage(source, { format: 'jpeg', background: 'opaque' });
    const decoded = await decodeImage(data, { maxPixels });
    expect(decoded.data.length).toBe(96 * 64 * 4);
    expect(alphaValues(decoded)).toEqual(new Set([255]));
  });

  it('stretches to the requested size when decoding', async () => {
    const { data } = await encodeImage(source, { format: 'webp', background: 'opaque' });
    const decoded = await decodeImage(data, { maxPixels, width: 40, height: 50 });
    expect([decoded.width, decoded.height, decoded.data.length]).toEqual([40, 50, 40 * 50 * 4]);
  });

  it('keeps webp alpha only for a transparent background', async () => {
    const transparent = await encodeImage(source, { format: 'webp', background: 'transparent' });
    const opaque = await encodeImage(source, { format: 'webp', background: 'opaque' });
    expect(contentTypeFor(transparent.format)).toBe('image/webp');
    await expect(probeImage(transparent.data, { maxPixels })).resolves.toMatchObject({ format: 'webp', hasAlpha: true });
    expect(alphaValues(await decodeImage(transparent.data, { maxPixels })).has(0)).toBe(true);
    expect(alphaValues(await decodeImage(opaque.data, { maxPixels }))).toEqual(new Set([255]));
  });

  it('makes jpeg and webp smaller as compression goes down', async () => {
    for (const format of ['jpeg', 'webp'] as const) {
      const best = await encodeImage(source, { format, background: 'opaque' });
      const small = await encodeImage(source, { format, compression: 20, background: 'opaque' });
      expect(small.data.length).toBeLessThan(best.data.length * 0.8);
    }
  });

  it('refuses raw pixels that do not match the stated size', async () => {
    const bad = { data: Buffer.alloc(10), width: 4, height: 4 };
    await expect(encodeImage(bad, { format: 'png', background: 'opaque' })).rejects.toBeInstanceOf(RangeError);
  });

  it('names content types and extensions for every format', () => {
    expect(['png', 'jpeg', 'webp'].map((f) => contentTypeFor(f as 'png'))).toEqual(['image/png', 'image/jpeg', 'image/webp']);
    expect(['png', 'jpeg', 'webp'].map((f) => extensionFor(f as 'png'))).toEqual(['png', 'jpeg', 'webp']);
  });
});
