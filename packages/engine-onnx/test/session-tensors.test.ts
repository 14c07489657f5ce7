/**
 * @jest-environment <rootDir>/packages/engine-onnx/test/fixtures/onnx-test-environment.ts
 */
import { Tensor } from 'onnxruntime-node';
import { float16BitsToFloat32, float16ToFloat32, float32ToFloat16, float32ToFloat16Bits } from '../src/sessions/float16';
import { executionProviders } from '../src/sessions/execution-provider';
import { readFloat32, toFloatTensor, toNumericTensor } from '../src/sessions/session-tensors';

describe('float16 conversion', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [1e6, 0x7c00],
    [-1e6, 0xfc00],
    [2 ** -24, 0x0001],
    [2 ** -26, 0x0000],
    [0, 0x0000],
  ])('encodes %p as half-precision bits %p', (value, bits) => {
    expect(float32ToFloat16Bits(value)).toBe(bits);
  });

  it('rounds to the nearest half, ties to even', () => {
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
  });

  it('round-trips latent-range values within half precision', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 20);
    const back = float16ToFloat32(float32ToFloat16(values));
    values.forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 1e-7));
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN)))).toBe(true);
  });
});

describe('session tensors', () => {
  it('builds float16 tensors from float32 data and reads them back as float32', () => {
    const tensor = toFloatTensor(Float32Array.from([1.5, -0.25]), [2], 'float16');
    expect(tensor.type).toBe('float16');
    expect(Array.from(tensor.data as Uint16Array)).toEqual([0x3e00, 0xb400]);
    expect(Array.from(readFloat32(tensor, 'x').data)).toEqual([1.5, -0.25]);
  });

  it('writes timesteps as the integer or float type a model declares', () => {
    expect(toNumericTensor(981, 1, [1], 'int64').data).toEqual(BigInt64Array.from([981n]));
    expect(toNumericTensor(981, 2, [2], 'float32').data).toEqual(Float32Array.from([981, 981]));
    expect(() => toNumericTensor(1, 1, [1], 'string')).toThrow(/float32 or float16/);
    expect(readFloat32(new Tensor('float32', Float32Array.from([3]), [1]), 'y').dims).toEqual([1]);
  });

  it('never lists the CPU provider for GPU configurations', () => {
    expect(executionProviders({ provider: 'cuda', deviceId: 1 })).toEqual([{ name: 'cuda', deviceId: 1 }]);
    expect(executionProviders({ provider: 'tensorrt', deviceId: 0 })).toEqual([
      { name: 'tensorrt', deviceId: 0 },
      { name: 'cuda', deviceId: 0 },
    ]);
  });
});
