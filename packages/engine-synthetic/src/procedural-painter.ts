import { between, type Random } from './seeded-random';

/**
 * Paints a deterministic picture: a two-colour linear gradient under a handful
 * of circles, rings and rectangles. Shapes are filled as row spans through a
 * Uint32 view, so a 1024x1024 picture costs a few milliseconds.
 */

export interface PaintOptions {
  width: number;
  height: number;
  random: Random;
  /** Shapes on a fully transparent field instead of an opaque gradient. */
  transparent: boolean;
  /** Saturated colours (dall-e-3 `vivid`) rather than muted ones. */
  vivid: boolean;
}

type Rgb = [number, number, number];

export function paintPicture(options: PaintOptions): Buffer {
  const { width, height, random, transparent } = options;
  const data = Buffer.alloc(width * height * 4);
  const hue = random();
  const colour = (shift: number): Rgb =>
    hsvToRgb(hue + shift, options.vivid ? between(random, 0.65, 1) : between(random, 0.15, 0.45), between(random, 0.45, 1));

  paintGradient(data, width, height, colour(0), colour(between(random, 0.2, 0.5)), random() * Math.PI * 2, transparent ? 0 : 255);

  const pixels = new Uint32Array(data.buffer, data.byteOffset, width * height);
  const unit = Math.min(width, height);
  const shapes = 3 + Math.floor(random() * 4);
  for (let s = 0; s < shapes; s++) {
    const packed = packRgba(colour(between(random, 0.1, 0.9)));
    // Centres stay in the middle half and sizes under a quarter of the short side,
    // so the corners always show the field (transparent pictures keep alpha 0 there).
    const cx = between(random, 0.25, 0.75) * width;
    const cy = between(random, 0.25, 0.75) * height;
    const kind = random();
    if (kind < 0.45) {
      fillDisc(pixels, width, height, cx, cy, between(random, 0.06, 0.22) * unit, 0, packed);
    } else if (kind < 0.7) {
      const outer = between(random, 0.1, 0.22) * unit;
      fillDisc(pixels, width, height, cx, cy, outer, outer * between(random, 0.4, 0.8), packed);
    } else {
      const halfW = between(random, 0.05, 0.2) * unit;
      const halfH = between(random, 0.05, 0.2) * unit;
      fillRect(pixels, width, height, cx - halfW, cy - halfH, cx + halfW, cy + halfH, packed);
    }
  }
  return data;
}

function paintGradient(data: Buffer, width: number, height: number, from: Rgb, to: Rgb, angle: number, alpha: number): void {
  const dirX = Math.cos(angle);
  const dirY = Math.sin(angle);
  const reach = Math.abs(dirX) * width + Math.abs(dirY) * height || 1;
  // t runs 0..1 along the gradient direction across the whole picture.
  const dt = dirX / reach;
  const [r0, g0, b0] = from;
  const dr = to[0] - r0;
  const dg = to[1] - g0;
  const db = to[2] - b0;
  let i = 0;
  for (let y = 0; y < height; y++) {
    let t = 0.5 + ((0.5 - width / 2) * dirX + (y + 0.5 - height / 2) * dirY) / reach;
    for (let x = 0; x < width; x++) {
      data[i] = r0 + t * dr;
      data[i + 1] = g0 + t * dg;
      data[i + 2] = b0 + t * db;
      data[i + 3] = alpha;
      t += dt;
      i += 4;
    }
  }
}

/** Disc of radius `outer` with a hole of radius `inner` (0 for none). */
function fillDisc(
  pixels: Uint32Array, width: number, height: number,
  cx: number, cy: number, outer: number, inner: number, packed: number,
): void {
  const yStart = Math.max(0, Math.ceil(cy - outer - 0.5));
  const yEnd = Math.min(height - 1, Math.floor(cy + outer - 0.5));
  for (let y = yStart; y <= yEnd; y++) {
    const dy = y + 0.5 - cy;
    const outerHalf = Math.sqrt(Math.max(0, outer * outer - dy * dy));
    const innerHalf = Math.abs(dy) < inner ? Math.sqrt(inner * inner - dy * dy) : 0;
    const row = y * width;
    if (innerHalf === 0) {
      fillSpan(pixels, row, width, cx - outerHalf, cx + outerHalf, packed);
    } else {
      fillSpan(pixels, row, width, cx - outerHalf, cx - innerHalf, packed);
      fillSpan(pixels, row, width, cx + innerHalf, cx + outerHalf, packed);
    }
  }
}

function fillRect(
  pixels: Uint32Array, width: number, height: number,
  left: number, top: number, right: number, bottom: number, packed: number,
): void {
  const yStart = Math.max(0, Math.ceil(top - 0.5));
  const yEnd = Math.min(height - 1, Math.floor(bottom - 0.5));
  for (let y = yStart; y <= yEnd; y++) fillSpan(pixels, y * width, width, left, right, packed);
}

/** Fills the pixels whose centres lie in [from, to) on one row. */
function fillSpan(pixels: Uint32Array, row: number, width: number, from: number, to: number, packed: number): void {
  const start = Math.max(0, Math.ceil(from - 0.5));
  const end = Math.min(width, Math.ceil(to - 0.5));
  if (end > start) pixels.fill(packed, row + start, row + end);
}

const scratchBytes = new Uint8Array(4);
const scratchWord = new Uint32Array(scratchBytes.buffer);

/** Opaque colour as one Uint32 in the platform's byte order. */
function packRgba([r, g, b]: Rgb): number {
  scratchBytes[0] = r;
  scratchBytes[1] = g;
  scratchBytes[2] = b;
  scratchBytes[3] = 255;
  return scratchWord[0]!;
}

function hsvToRgb(hue: number, saturation: number, value: number): Rgb {
  const h = ((hue % 1) + 1) % 1 * 6;
  const sector = Math.floor(h);
  const f = h - sector;
  const p = value * (1 - saturation);
  const q = value * (1 - saturation * f);
  const t = value * (1 - saturation * (1 - f));
  const [r, g, b] = [[value, t, p], [q, value, p], [p, value, t], [p, q, value], [t, p, value], [value, p, q]][sector % 6]!;
  return [Math.round(r! * 255), Math.round(g! * 255), Math.round(b! * 255)];
}
