import sharp from 'sharp';

/** A PNG with real content (a gradient and a block), optionally with an alpha channel. */
export async function makePng(width: number, height: number, options: { alpha?: boolean; seed?: number } = {}): Promise<Buffer> {
  const channels = options.alpha ? 4 : 3;
  const data = Buffer.alloc(width * height * channels);
  const seed = options.seed ?? 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      data[i] = (x * 255 * seed) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = x > width / 3 && x < (2 * width) / 3 ? 200 : 40;
      if (channels === 4) data[i + 3] = 255;
    }
  }
  return sharp(data, { raw: { width, height, channels } }).png().toBuffer();
}

/** An OpenAI mask: fully transparent (edit here) in the given box, opaque elsewhere. */
export async function makeMask(width: number, height: number, box: { x: number; y: number; w: number; h: number }): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 4, 255);
  for (let y = box.y; y < box.y + box.h; y++) {
    for (let x = box.x; x < box.x + box.w; x++) data[(y * width + x) * 4 + 3] = 0;
  }
  return sharp(data, { raw: { width, height, channels: 4 } }).png().toBuffer();
}

export async function describeImage(bytes: Buffer) {
  const metadata = await sharp(bytes).metadata();
  return { format: metadata.format, width: metadata.width, height: metadata.height, hasAlpha: metadata.hasAlpha };
}

export async function rawPixels(bytes: Buffer) {
  return sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
}
