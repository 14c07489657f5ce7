import type { RawImage } from '@imageforge/engine-core';

export interface EditComposition {
  /** The image being edited; its bytes outside the region are copied unchanged. */
  base: RawImage;
  /** Pixels whose alpha is 0 here form the region: the mask, or `base` itself when there is none. */
  regionSource: RawImage;
  /** Freshly painted picture, same size, that fills the region. */
  painted: Buffer;
  /** The other input images: their colours are mixed into the region half and half. */
  references: RawImage[];
  /** Keep the painted alpha inside the region; otherwise the region becomes opaque. */
  transparent: boolean;
}

/** Repaints only the region: every pixel outside it stays byte-identical to `base`. */
export function compositeEdit({ base, regionSource, painted, references, transparent }: EditComposition): Buffer {
  const out = Buffer.from(base.data);
  const region = regionSource.data;
  const refs = references.map((ref) => ref.data);
  const refCount = refs.length;
  for (let i = 0; i < out.length; i += 4) {
    if (region[i + 3] !== 0) continue;
    let r = painted[i]!;
    let g = painted[i + 1]!;
    let b = painted[i + 2]!;
    if (refCount > 0) {
      let sr = 0;
      let sg = 0;
      let sb = 0;
      for (let k = 0; k < refCount; k++) {
        const ref = refs[k]!;
        sr += ref[i]!;
        sg += ref[i + 1]!;
        sb += ref[i + 2]!;
      }
      r = (r + sr / refCount) / 2;
      g = (g + sg / refCount) / 2;
      b = (b + sb / refCount) / 2;
    }
    out[i] = r;
    out[i + 1] = g;
    out[i + 2] = b;
    out[i + 3] = transparent ? painted[i + 3]! : 255;
  }
  return out;
}
