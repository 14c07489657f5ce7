import { encodeImage, type Background, type EncodedImage, type OutputFormat } from '@imageforge/engine-core';
import { paintPicture } from './procedural-painter';
import { createRandom } from './seeded-random';

export interface PictureShape {
  width: number;
  height: number;
  format: OutputFormat;
  compression?: number;
  background: Background;
}

/**
 * One painted and encoded picture per distinct shape, kept for the life of the
 * engine: after the first request of a shape, an image costs no CPU at all.
 * Entries are promises, so concurrent first requests paint once.
 */
export class CachedPictures {
  private readonly pictures = new Map<string, Promise<EncodedImage>>();

  get(shape: PictureShape): Promise<EncodedImage> {
    const key = `${shape.width}x${shape.height}:${shape.format}:${shape.compression ?? ''}:${shape.background}`;
    let picture = this.pictures.get(key);
    if (!picture) {
      picture = paintAndEncode(shape);
      this.pictures.set(key, picture);
      // A failed encode must not be served from the cache forever.
      picture.catch(() => this.pictures.delete(key));
    }
    return picture;
  }

  clear(): void {
    this.pictures.clear();
  }
}

async function paintAndEncode(shape: PictureShape): Promise<EncodedImage> {
  const transparent = shape.background === 'transparent';
  const data = paintPicture({ width: shape.width, height: shape.height, random: createRandom(shape.width * 7919 + shape.height), transparent, vivid: true });
  return encodeImage({ data, width: shape.width, height: shape.height }, {
    format: shape.format,
    ...(shape.compression !== undefined ? { compression: shape.compression } : {}),
    background: shape.background,
  });
}
