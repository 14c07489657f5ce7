import { probeImage, type EnginePreview } from '@imageforge/engine-core';
import type { ComfyPreviewFormat } from './comfy-socket';

/** Previews are small; anything bigger than this is not one. */
const MAX_PREVIEW_PIXELS = 4096 * 4096;

/**
 * ComfyUI sends a preview frame per sampler step; the caller wants a few per image, spread
 * over the steps. Picks the frames, probes their size and hands them over one after another,
 * in order, while the run goes on.
 */
export class PreviewPicker {
  private readonly steps = new Map<number, { value: number; max: number }>();
  private readonly sent = new Map<number, number>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly wanted: number,
    private readonly onPreview: ((preview: EnginePreview) => Promise<void>) | undefined,
  ) {}

  /** The progress message that precedes each step's frame. */
  step(imageIndex: number, value: number, max: number): void {
    this.steps.set(imageIndex, { value, max });
  }

  offer(imageIndex: number, image: Buffer, format: ComfyPreviewFormat): void {
    const onPreview = this.onPreview;
    const step = this.steps.get(imageIndex);
    if (!onPreview || this.wanted === 0 || !step) return;
    const partialIndex = this.sent.get(imageIndex) ?? 0;
    const due = previewSteps(step.max, this.wanted)[partialIndex];
    if (due === undefined || step.value < due) return;
    this.sent.set(imageIndex, partialIndex + 1);
    this.chain = this.chain.then(async () => {
      // A frame that does not parse is dropped: a lost preview is not worth failing the image over.
      const probe = await probeImage(image, { maxPixels: MAX_PREVIEW_PIXELS }).catch(() => undefined);
      if (!probe) return;
      await onPreview({
        imageIndex,
        partialIndex,
        image: { kind: 'encoded', data: image, format, width: probe.width, height: probe.height },
      });
    });
  }

  /** Resolves once every picked preview was handed over. */
  drained(): Promise<void> {
    return this.chain;
  }
}

/** The steps (1-based) after which the `wanted` previews are due: spread evenly, strictly increasing, at most `max`. */
export function previewSteps(max: number, wanted: number): number[] {
  const steps: number[] = [];
  for (let j = 0; j < wanted; j++) {
    const step = Math.max((steps.at(-1) ?? 0) + 1, Math.round((max * (j + 1)) / (wanted + 1)));
    if (step > max) break;
    steps.push(step);
  }
  return steps;
}
