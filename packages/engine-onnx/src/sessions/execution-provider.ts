import type { InferenceSession } from 'onnxruntime-node';
import type { ExecutionProviderKind } from '../config/onnx-engine-config';

export interface ProviderSelection {
  provider: ExecutionProviderKind;
  deviceId: number;
}

/** Thrown by `load()` when a GPU execution provider cannot start; the worker must not take jobs. */
export class ExecutionProviderUnavailableError extends Error {
  constructor(
    readonly provider: ExecutionProviderKind,
    readonly modelPath: string,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      `ONNX Runtime could not start the ${provider} execution provider for ${modelPath}: ${detail}. ` +
        `The worker refuses to start rather than run on CPU. Install the ${provider} provider libraries ` +
        `(libonnxruntime_providers_shared.so, libonnxruntime_providers_${provider}.so) of the exact onnxruntime-node version, ` +
        `with CUDA 12 and cuDNN 9${provider === 'tensorrt' ? ' and TensorRT 10' : ''} on LD_LIBRARY_PATH; ` +
        `see packages/engine-onnx/README.md ("GPU hosts").`,
      { cause },
    );
    this.name = 'ExecutionProviderUnavailableError';
  }
}

/**
 * The provider list for a session. TensorRT lists CUDA after it for the nodes TensorRT
 * cannot take; neither lists `cpu`, so ONNX Runtime only places on CPU the few nodes
 * no GPU kernel exists for, and a missing provider library fails session creation.
 */
export function executionProviders(selection: ProviderSelection): InferenceSession.ExecutionProviderConfig[] {
  const { provider, deviceId } = selection;
  if (provider === 'cpu') return ['cpu'];
  if (provider === 'cuda') return [{ name: 'cuda', deviceId }];
  return [
    { name: 'tensorrt', deviceId },
    { name: 'cuda', deviceId },
  ];
}

export function describeProvider(selection: ProviderSelection): string {
  return selection.provider === 'cpu' ? 'cpu' : `${selection.provider}:${selection.deviceId}`;
}
