import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComfyUiEngineConfigSchema, WorkflowTemplate, previewSteps, type PlaceholderValues } from '../src';
import { GENERATE_WORKFLOW } from './fixtures/comfy-workflows';

const values: PlaceholderValues = {
  prompt: 'a "quoted" cat',
  negative_prompt: 'blurry',
  seed: 42,
  width: 512,
  height: 768,
  steps: 20,
  batch_size: 3,
  denoise: 0.6,
};

describe('WorkflowTemplate', () => {
  it('puts typed values where a string is exactly one placeholder and text where it is part of one', () => {
    const filled = WorkflowTemplate.parse(GENERATE_WORKFLOW, 'test').fill(values);
    expect(filled['3']!.inputs).toEqual({ seed: 42, steps: 20, denoise: 1, positive: ['6', 0], latent_image: ['5', 0] });
    expect(filled['5']!.inputs).toEqual({ width: 512, height: 768, batch_size: 3 });
    expect(filled['6']!.inputs.text).toBe('a photo of a "quoted" cat');
    expect(filled['7']!.inputs.text).toBe('blurry');
  });

  it('leaves the template itself untouched, so every fill starts from it', () => {
    const template = WorkflowTemplate.parse(GENERATE_WORKFLOW, 'test');
    template.fill(values);
    expect(template.fill({ ...values, seed: 7 })['3']!.inputs.seed).toBe(7);
    expect(GENERATE_WORKFLOW['3'].inputs.seed).toBe('{{seed}}');
  });

  it('splices numbers into text and accepts spaces inside the braces', () => {
    const template = WorkflowTemplate.parse({ '1': { class_type: 'Note', inputs: { text: '{{ width }}x{{height}} seed {{seed}}', n: '{{ seed }}' } } }, 'test');
    expect(template.fill(values)['1']!.inputs).toEqual({ text: '512x768 seed 42', n: 42 });
  });

  it('knows which placeholders it uses', () => {
    const template = WorkflowTemplate.parse(GENERATE_WORKFLOW, 'test');
    expect(template.uses('batch_size')).toBe(true);
    expect(template.uses('image')).toBe(false);
    expect([...template.placeholders].sort()).toEqual(['batch_size', 'height', 'negative_prompt', 'prompt', 'seed', 'steps', 'width']);
  });

  it('refuses an unknown placeholder with its path when it loads', () => {
    expect(() => WorkflowTemplate.parse({ '4': { class_type: 'KSampler', inputs: { cfg: '{{cfg_scale}}' } } }, 'generate workflow')).toThrow(
      'generate workflow: unknown placeholder {{cfg_scale}} at $.4.inputs.cfg',
    );
  });

  it('refuses what is not an API-format workflow', () => {
    expect(() => WorkflowTemplate.parse({ nodes: [], links: [] }, 'w')).toThrow('UI-format workflow');
    expect(() => WorkflowTemplate.parse({ '1': { inputs: {} } }, 'w')).toThrow('node "1" needs a string class_type');
    expect(() => WorkflowTemplate.parse([], 'w')).toThrow("ComfyUI's API format");
  });

  it('throws when a used placeholder has no value for the request', () => {
    const template = WorkflowTemplate.parse({ '1': { class_type: 'LoadImage', inputs: { image: '{{image}}' } } }, 'w');
    expect(() => template.fill(values)).toThrow('workflow placeholder {{image}} has no value for this request');
    expect(template.fill({ ...values, image: 'in/a.png' })['1']!.inputs.image).toBe('in/a.png');
  });

  it('reads a template from a JSON file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'comfy-workflow-'));
    try {
      writeFileSync(join(dir, 'flow.json'), JSON.stringify(GENERATE_WORKFLOW));
      writeFileSync(join(dir, 'bad.json'), '{ nope');
      expect((await WorkflowTemplate.load(join(dir, 'flow.json'), 'w')).fill(values)['3']!.inputs.seed).toBe(42);
      await expect(WorkflowTemplate.load(join(dir, 'bad.json'), 'w')).rejects.toThrow(/bad\.json is not JSON/);
      await expect(WorkflowTemplate.load(join(dir, 'missing.json'), 'w')).rejects.toThrow(/cannot read workflow file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('previewSteps', () => {
  it('spreads the wanted previews over the steps, before the last one where there is room', () => {
    expect(previewSteps(20, 3)).toEqual([5, 10, 15]);
    expect(previewSteps(4, 2)).toEqual([1, 3]);
    expect(previewSteps(2, 2)).toEqual([1, 2]);
    expect(previewSteps(1, 3)).toEqual([1]);
    expect(previewSteps(10, 0)).toEqual([]);
  });
});

describe('ComfyUiEngineConfigSchema', () => {
  it('takes a base URL and workflows, with defaults for the rest', () => {
    expect(ComfyUiEngineConfigSchema.parse({ kind: 'comfyui', baseUrl: 'http://gpu-1:8188', workflows: { generate: 'flows/sdxl.json' } })).toMatchObject({
      steps: 20,
      negativePrompt: '',
      historyTimeoutMs: 600_000,
    });
    expect(ComfyUiEngineConfigSchema.safeParse({ kind: 'comfyui', baseUrl: 'ftp://x', workflows: { generate: 'a.json' } }).success).toBe(false);
    expect(ComfyUiEngineConfigSchema.safeParse({ kind: 'comfyui', baseUrl: 'http://x', workflows: {} }).success).toBe(false);
  });
});
