import type { NoiseSource } from '../schedulers/scheduler';

const TWO_POW_32 = 4294967296;
const TWO_PI = 2 * Math.PI;

/** murmur3's 32-bit finaliser: a bijection, so distinct seeds give distinct states. */
function fmix32(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Standard normal noise from a seed. The generator is xoshiro128** (128-bit state, period
 * 2^128 - 1): it passes BigCrush, needs only 32-bit integer ops (fast in JS, unlike 64-bit
 * PCG/xoshiro256 which would need BigInt), and unlike mulberry32's 32-bit state it cannot
 * repeat within the ~10^7 draws one image takes. Normals come from Box–Muller, both outputs
 * used; the spare is kept across calls so the stream does not depend on how it is chunked.
 * Seeds are integers up to 2^53: the low and high 32-bit halves seed two halves of the state.
 */
export class SeededNoise implements NoiseSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POW_32) >>> 0;
    this.s0 = fmix32(low + 0x9e3779b9);
    this.s1 = fmix32(low + 0x3c6ef372);
    this.s2 = fmix32(high + 0xdaa66d2b);
    this.s3 = fmix32(high + 0x78dde6e4);
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in (0, 1]: never 0, so log() in Box–Muller stays finite. */
  uniform(): number {
    return (this.nextUint32() + 1) / TWO_POW_32;
  }

  randn(length: number): Float32Array {
    return this.fill(new Float32Array(length));
  }

  /** Overwrites `target` with standard normal samples and returns it. */
  fill(target: Float32Array): Float32Array {
    let i = 0;
    if (this.hasSpare && target.length > 0) {
      target[i++] = this.spare;
      this.hasSpare = false;
    }
    for (; i < target.length; i += 2) {
      const radius = Math.sqrt(-2 * Math.log(this.uniform()));
      const angle = TWO_PI * (this.nextUint32() / TWO_POW_32);
      target[i] = radius * Math.cos(angle);
      const second = radius * Math.sin(angle);
      if (i + 1 < target.length) target[i + 1] = second;
      else {
        this.spare = second;
        this.hasSpare = true;
      }
    }
    return target;
  }
}

function rotl(value: number, shift: number): number {
  return (value << shift) | (value >>> (32 - shift));
}
