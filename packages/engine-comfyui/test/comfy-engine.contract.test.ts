import { describeImageEngineContract } from '@imageforge/engine-core/testing';
import { ComfyUiEngine, ComfyUiEngineConfigSchema } from '../src';
import { ComfyTestServer } from './fixtures/comfy-test-server';
import { EDIT_WORKFLOW, GENERATE_WORKFLOW, VARIATION_WORKFLOW } from './fixtures/comfy-workflows';

let server: ComfyTestServer | undefined;
afterAll(async () => server?.stop());

describeImageEngineContract(
  'ComfyUiEngine',
  async () => {
    server = await ComfyTestServer.start({ stepDelayMs: 1 });
    const config = ComfyUiEngineConfigSchema.parse({
      kind: 'comfyui',
      baseUrl: server.url,
      steps: 3,
      workflows: { generate: GENERATE_WORKFLOW, edit: EDIT_WORKFLOW, variation: VARIATION_WORKFLOW },
    });
    return new ComfyUiEngine(config);
  },
  { width: 64, height: 48 },
);
