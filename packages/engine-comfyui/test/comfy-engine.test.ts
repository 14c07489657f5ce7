import {
  EngineAbortedError,
  decodeImage,
  isEncodedImage,
  type EngineImage,
  type EnginePreview,
  type EngineProgress,
  type GenerateRequest,
} from '@imageforge/engine-core';
import { leftHalfTransparentMask, patternImage } from '@imageforge/engine-core/testing';
import { InternalError, InvalidRequestError } from '@imageforge/contracts';
import { ComfyUiEngine, ComfyUiEngineConfigSchema, type ComfyUiEngineConfigInput } from '../src';
import { ComfyTestServer } from './fixtures/comfy-test-server';
import { EDIT_WORKFLOW, FAILING_WORKFLOW, GENERATE_WORKFLOW, SINGLE_IMAGE_WORKFLOW } from './fixtures/comfy-workflows';

const request: GenerateRequest = {
  model: 'sdxl',
  prompt: 'a lighthouse',
  n: 2,
  width: 64,
  height: 48,
  quality: 'auto',
  background: 'auto',
  seed: 1234,
  output: { format: 'png' },
};

describe('ComfyUiEngine against a ComfyUI-protocol server', () => {
  let server: ComfyTestServer;
  const engines: ComfyUiEngine[] = [];

  beforeAll(async () => {
    server = await ComfyTestServer.start();
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.close()));
    server.stepDelayMs = 15;
  });
  afterAll(async () => server.stop());

  async function engineWith(config: Partial<ComfyUiEngineConfigInput> = {}) {
    const engine = new ComfyUiEngine(
      ComfyUiEngineConfigSchema.parse({ kind: 'comfyui', baseUrl: server.url, steps: 4, historyPollMs: 20, workflows: { generate: GENERATE_WORKFLOW, edit: EDIT_WORKFLOW }, ...config }),
    );
    engines.push(engine);
    await engine.load();
    return engine;
  }

  const signal = () => new AbortController().signal;

  it('fills the template, follows progress and previews, and returns the saved pngs as they are', async () => {
    const engine = await engineWith();
    const progress: EngineProgress[] = [];
    const previews: EnginePreview[] = [];
    const result = await engine.generate(
      { ...request, partialImages: 2 },
      { signal: signal(), onProgress: (p) => progress.push(p), onPreview: async (p) => void previews.push(p) },
    );

    const sent = server.prompts.at(-1)!.workflow;
    expect(sent['3']!.inputs).toMatchObject({ seed: 1234, steps: 4 });
    expect(sent['5']!.inputs).toEqual({ width: 64, height: 48, batch_size: 2 });
    expect(sent['6']!.inputs.text).toBe('a photo of a lighthouse');
    // Two SaveImage files; the PreviewImage node's temp files are not results.
    expect(result.images).toHaveLength(2);
    for (const image of result.images) expect(await shapeOf(image)).toEqual({ kind: 'encoded', format: 'png', width: 64, height: 48 });
    expect(result.images[0]!.data.equals(result.images[1]!.data)).toBe(false);
    expect(progress).toEqual([1, 2, 3, 4].map((step) => ({ step, total: 4 })));
    expect(previews.map((p) => [p.imageIndex, p.partialIndex])).toEqual([[0, 0], [0, 1]]);
    for (const preview of previews) expect(await shapeOf(preview.image)).toEqual({ kind: 'encoded', format: 'jpeg', width: 8, height: 6 });
  });

  it('makes the same images from the same seed and different ones from another', async () => {
    const engine = await engineWith();
    const [a, b, c] = await Promise.all([
      engine.generate({ ...request, n: 1 }, { signal: signal() }),
      engine.generate({ ...request, n: 1 }, { signal: signal() }),
      engine.generate({ ...request, n: 1, seed: 99 }, { signal: signal() }),
    ]);
    expect(a.images[0]!.data.equals(b.images[0]!.data)).toBe(true);
    expect(a.images[0]!.data.equals(c.images[0]!.data)).toBe(false);
  });

  it('runs n prompts with consecutive seeds when the template has no {{batch_size}}', async () => {
    const engine = await engineWith({ workflows: { generate: SINGLE_IMAGE_WORKFLOW } });
    const before = server.prompts.length;
    const progress: EngineProgress[] = [];
    const previews: EnginePreview[] = [];
    const result = await engine.generate(
      { ...request, n: 2, partialImages: 1 },
      { signal: signal(), onProgress: (p) => progress.push(p), onPreview: async (p) => void previews.push(p) },
    );
    expect(server.prompts.slice(before).map((p) => p.workflow['3']!.inputs.seed)).toEqual([1234, 1235]);
    expect(result.images).toHaveLength(2);
    expect(result.images[0]!.data.equals(result.images[1]!.data)).toBe(false);
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(progress.map((p) => p.total))).toEqual(new Set([8]));
    expect(previews.map((p) => [p.imageIndex, p.partialIndex])).toEqual([[0, 0], [1, 0]]);
  });

  it('uploads an edit with its mask so only the pixels with alpha 0 are repainted', async () => {
    const engine = await engineWith();
    const image = patternImage(64, 48, 0);
    const result = await engine.edit({ ...request, n: 1, images: [image], mask: leftHalfTransparentMask(64, 48) }, { signal: signal() });
    const out = await decodeImage(result.images[0]!.data, { maxPixels: 1e6 });
    let changedLeft = 0;
    let changedRight = 0;
    for (let y = 0; y < 48; y++) {
      for (let x = 0; x < 64; x++) {
        const i = (y * 64 + x) * 4;
        const changed = [0, 1, 2].some((c) => out.data[i + c] !== image.data[i + c]);
        if (changed && x < 32) changedLeft++;
        if (changed && x >= 32) changedRight++;
      }
    }
    expect(changedRight).toBe(0);
    expect(changedLeft).toBeGreaterThan(32 * 48 * 0.5);
  });

  it('fails for good with the node type and ComfyUI message when a node raises', async () => {
    const engine = await engineWith({ workflows: { generate: FAILING_WORKFLOW } });
    const run = engine.generate({ ...request, n: 1 }, { signal: signal() });
    await expect(run).rejects.toBeInstanceOf(InternalError);
    await expect(run).rejects.toThrow('ComfyUI FailingNode node 11 failed: checkpoint sd_xl_base_1.0.safetensors is corrupt');
  });

  it('leaves an out-of-memory node error to the queue to retry', async () => {
    const oom = { ...FAILING_WORKFLOW, '11': { class_type: 'FailingNode', inputs: { message: 'CUDA out of memory. Tried to allocate 2.00 GiB' } } };
    const engine = await engineWith({ workflows: { generate: oom } });
    const error = await engine.generate({ ...request, n: 1 }, { signal: signal() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(InternalError);
    expect((error as Error).message).toContain('CUDA out of memory');
  });

  it('fails for good with the node errors when ComfyUI refuses the graph', async () => {
    const broken = { ...GENERATE_WORKFLOW, '3': { ...GENERATE_WORKFLOW['3'], inputs: { ...GENERATE_WORKFLOW['3'].inputs, steps: 'x{{steps}}' } } };
    const engine = await engineWith({ workflows: { generate: broken } });
    const run = engine.generate({ ...request, n: 1 }, { signal: signal() });
    await expect(run).rejects.toBeInstanceOf(InternalError);
    await expect(run).rejects.toThrow(/Prompt outputs failed validation; KSampler 3: Failed to convert an input value to a INT value: steps, "x4"/);
  });

  it('refuses an operation the model has no workflow for', async () => {
    const engine = await engineWith();
    const run = engine.variation({ ...request, image: patternImage(64, 48, 0) }, { signal: signal() });
    await expect(run).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(run).rejects.toThrow('model sdxl does not support variations');
  });

  it('finishes from /history when the websocket drops mid-run, and reconnects for the next prompt', async () => {
    const engine = await engineWith({ steps: 6 });
    server.dropSocketsAtStep = 2;
    const progress: EngineProgress[] = [];
    const result = await engine.generate({ ...request, n: 1 }, { signal: signal(), onProgress: (p) => progress.push(p) });
    expect(result.images).toHaveLength(1);
    expect(await shapeOf(result.images[0]!)).toEqual({ kind: 'encoded', format: 'png', width: 64, height: 48 });
    expect(progress.at(-1)!.step).toBeLessThan(6);

    const again: EngineProgress[] = [];
    await engine.generate({ ...request, n: 1 }, { signal: signal(), onProgress: (p) => again.push(p) });
    expect(again.at(-1)).toEqual({ step: 6, total: 6 });
  });

  it('interrupts its prompt when aborted while it runs', async () => {
    const engine = await engineWith({ steps: 200 });
    const controller = new AbortController();
    const run = engine.generate({ ...request, n: 1 }, { signal: controller.signal, onProgress: (p) => p.step === 2 && controller.abort() });
    await expect(run).rejects.toBeInstanceOf(EngineAbortedError);
    const prompt = server.prompts.at(-1)!;
    await waitFor(() => prompt.state === 'interrupted');
    expect(prompt.state).toBe('interrupted');
  });

  it('deletes its prompt from the queue when aborted while pending, leaving the running one alone', async () => {
    const [first, second] = [await engineWith({ steps: 20 }), await engineWith({ steps: 20 })];
    const running = first.generate({ ...request, n: 1 }, { signal: signal() });
    await waitFor(() => server.prompts.at(-1)?.state === 'running');
    const controller = new AbortController();
    const pending = second.generate({ ...request, n: 1 }, { signal: controller.signal });
    await waitFor(() => server.prompts.at(-1)?.state === 'pending');
    const waiting = server.prompts.at(-1)!;
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(EngineAbortedError);
    expect(waiting.state).toBe('deleted');
    expect((await running).images).toHaveLength(1);
    expect(waiting.state).toBe('deleted');
  });

  it('serves two engines (two workers) on one server at once, each hearing only its own prompts', async () => {
    const [a, b] = [await engineWith(), await engineWith()];
    const reference = await a.generate({ ...request, n: 1, seed: 7 }, { signal: signal() });
    const heard = [[], []] as EngineProgress[][];
    const previews = [[], []] as EnginePreview[][];
    const [fromA, fromB] = await Promise.all(
      [a, b].map((engine, i) =>
        engine.generate(
          { ...request, n: 1, seed: i === 0 ? 7 : 8, partialImages: 3 },
          { signal: signal(), onProgress: (p) => heard[i]!.push(p), onPreview: async (p) => void previews[i]!.push(p) },
        ),
      ),
    );
    expect(fromA!.images[0]!.data.equals(reference.images[0]!.data)).toBe(true);
    expect(fromB!.images[0]!.data.equals(reference.images[0]!.data)).toBe(false);
    for (const i of [0, 1]) {
      expect(heard[i]!.map((p) => p.step)).toEqual([1, 2, 3, 4]);
      expect(previews[i]!.map((p) => p.partialIndex)).toEqual([0, 1, 2]);
    }
    expect(new Set(server.prompts.slice(-2).map((p) => p.clientId)).size).toBe(2);
  });
});

async function shapeOf(image: EngineImage) {
  expect(isEncodedImage(image)).toBe(true);
  const { width, height } = await decodeImage(image.data, { maxPixels: 1e6 });
  // What the engine says the bytes are is what they decode to.
  expect([image.width, image.height]).toEqual([width, height]);
  return { kind: isEncodedImage(image) ? image.kind : 'raw', format: isEncodedImage(image) ? image.format : undefined, width, height };
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
}
