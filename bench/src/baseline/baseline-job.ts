import { imageJobCatalog } from '@imageforge/jobs';

/**
 * The baseline enqueues jobs shaped and retained like the service's own, so the
 * comparison isolates what HTTP, validation, storage and the engine add on top.
 */
export const BASELINE_JOB_NAME = 'image.generate';

export const BASELINE_JOB_OPTIONS = {
  removeOnComplete: imageJobCatalog['image.generate'].options.removeOnComplete,
  removeOnFail: imageJobCatalog['image.generate'].options.removeOnFail,
};

export function baselinePayload(index: number): Record<string, unknown> {
  return {
    requestId: `bench-${index}`,
    owner: 'a'.repeat(64),
    acceptedAt: Date.now(),
    prompt: 'a lighthouse on a cliff at dusk, oil painting',
    params: { model: 'bench-64', n: 1, size: '64x64', response_format: 'b64_json', output_format: 'png' },
  };
}
