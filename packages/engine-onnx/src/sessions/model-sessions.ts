import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { ExecutionProviderUnavailableError, type ProviderSelection, executionProviders } from './execution-provider';

/** The ONNX sessions of one Stable Diffusion folder, created once and kept warm. */
export interface ModelSessions {
  textEncoder: InferenceSession;
  unet: InferenceSession;
  vaeDecoder: InferenceSession;
  /** Absent in text-to-image-only exports; variations and edits then fail with a clear error. */
  vaeEncoder?: InferenceSession;
  /** Optional TAESD-style decoder for previews, from `vae_approx/` or `taesd_decoder/`. */
  previewDecoder?: InferenceSession;
}

/** Folders a tiny preview decoder may live in, first found wins. */
const PREVIEW_DECODER_PARTS = ['vae_approx', 'taesd_decoder'];

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function createSession(path: string, selection: ProviderSelection): Promise<InferenceSession> {
  const options: InferenceSession.SessionOptions = {
    executionProviders: executionProviders(selection),
    graphOptimizationLevel: 'all',
  };
  try {
    // A path (not a buffer) lets ONNX Runtime find external weights (model.onnx_data) beside it.
    return await InferenceSession.create(path, options);
  } catch (error) {
    if (selection.provider !== 'cpu' && isProviderFailure(error, selection)) {
      throw new ExecutionProviderUnavailableError(selection.provider, path, error);
    }
    throw new Error(`cannot load ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** ORT reports a missing provider library in several wordings; model errors never mention providers. */
function isProviderFailure(error: unknown, selection: ProviderSelection): boolean {
  const message = String((error as Error)?.message ?? error).toLowerCase();
  return /provider|shared library|cannot open shared object|libcu|cudnn|tensorrt|nvinfer/.test(message) || message.includes(selection.provider);
}

export async function loadModelSessions(modelDir: string, selection: ProviderSelection): Promise<ModelSessions> {
  const path = (part: string) => join(modelDir, part, 'model.onnx');
  for (const part of ['text_encoder', 'unet', 'vae_decoder']) {
    if (!(await exists(path(part)))) throw new Error(`model folder ${modelDir} has no ${part}/model.onnx`);
  }
  const created: InferenceSession[] = [];
  const open = async (part: string) => {
    const session = await createSession(path(part), selection);
    created.push(session);
    return session;
  };
  try {
    // The UNet first: it is the biggest and the one a GPU provider fails on soonest.
    const unet = await open('unet');
    const textEncoder = await open('text_encoder');
    const vaeDecoder = await open('vae_decoder');
    const vaeEncoder = (await exists(path('vae_encoder'))) ? await open('vae_encoder') : undefined;
    let previewDecoder: InferenceSession | undefined;
    for (const part of PREVIEW_DECODER_PARTS) {
      if (!previewDecoder && (await exists(path(part)))) previewDecoder = await open(part);
    }
    return { textEncoder, unet, vaeDecoder, vaeEncoder, previewDecoder };
  } catch (error) {
    await Promise.allSettled(created.map((s) => s.release()));
    throw error;
  }
}

export async function releaseModelSessions(sessions: ModelSessions): Promise<void> {
  const all = [sessions.unet, sessions.textEncoder, sessions.vaeDecoder, sessions.vaeEncoder, sessions.previewDecoder];
  await Promise.allSettled(all.filter((s): s is InferenceSession => s !== undefined).map((s) => s.release()));
}
