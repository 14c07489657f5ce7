import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { float16ToFloat32, float32ToFloat16 } from './float16';

/** A float32 array on the host with its NCHW-style dims; converted at the session boundary. */
export interface HostTensor {
  data: Float32Array;
  dims: number[];
}

export type TensorMetadata = InferenceSession.TensorValueMetadata;

function findMetadata(list: readonly InferenceSession.ValueMetadata[], name: string, session: string, kind: string): TensorMetadata | undefined {
  const found = list.find((m) => m.name === name);
  if (found && !found.isTensor) throw new Error(`${session} ${kind} ${name} is not a tensor`);
  return found as TensorMetadata | undefined;
}

export function inputMetadata(session: InferenceSession, name: string, label: string): TensorMetadata | undefined {
  return findMetadata(session.inputMetadata, name, label, 'input');
}

/** The first output among `names` the session declares; exports renamed some outputs over time. */
export function outputMetadata(session: InferenceSession, names: string[], label: string): TensorMetadata {
  for (const name of names) {
    const found = findMetadata(session.outputMetadata, name, label, 'output');
    if (found) return found;
  }
  const declared = session.outputMetadata.map((m) => m.name).join(', ');
  throw new Error(`${label} declares none of the outputs ${names.join(' / ')} (it declares ${declared})`);
}

export function requireInput(session: InferenceSession, name: string, label: string): TensorMetadata {
  const found = inputMetadata(session, name, label);
  if (!found) throw new Error(`${label} has no input named ${name} (it declares ${session.inputNames.join(', ')})`);
  return found;
}

/** Float data as the session declares it: float32 as is, float16 as 16-bit patterns. */
export function toFloatTensor(data: Float32Array, dims: readonly number[], type: Tensor.Type): Tensor {
  if (type === 'float32') return new Tensor('float32', data, dims);
  if (type === 'float16') return new Tensor('float16', float32ToFloat16(data), dims);
  throw new Error(`expected a float32 or float16 input, the model declares ${type}`);
}

export function toIntegerTensor(values: ArrayLike<number>, dims: readonly number[], type: Tensor.Type): Tensor {
  if (type === 'int32') return new Tensor('int32', Int32Array.from(values), dims);
  if (type === 'int64') return new Tensor('int64', BigInt64Array.from(Array.from(values, (v) => BigInt(Math.round(v)))), dims);
  throw new Error(`expected an int32 or int64 input, the model declares ${type}`);
}

/** Scalars such as the timestep, in whatever numeric type the model declares. */
export function toNumericTensor(value: number, length: number, dims: readonly number[], type: Tensor.Type): Tensor {
  const values = new Array<number>(length).fill(value);
  return type === 'int32' || type === 'int64' ? toIntegerTensor(values, dims, type) : toFloatTensor(Float32Array.from(values), dims, type);
}

export function readFloat32(value: unknown, label: string): HostTensor {
  if (!(value instanceof Tensor)) throw new Error(`${label} is not a tensor`);
  const dims = [...value.dims];
  if (value.type === 'float32') return { data: value.data as Float32Array, dims };
  if (value.type === 'float16') {
    const data = value.data as unknown;
    // Runtimes with Float16Array hand that back instead of raw bits.
    if (data instanceof Uint16Array) return { data: float16ToFloat32(data), dims };
    return { data: Float32Array.from(data as ArrayLike<number>), dims };
  }
  throw new Error(`${label} is ${value.type}, expected float32 or float16`);
}
