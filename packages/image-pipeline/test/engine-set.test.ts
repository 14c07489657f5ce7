import { ModelRegistry, ModelRegistryEntrySchema } from '@imageforge/contracts';
import { createEngine, EngineSet } from '../src';

function registry(entries: Array<Record<string, unknown>>): ModelRegistry {
  return new ModelRegistry(entries.map((entry) => ModelRegistryEntrySchema.parse({ profile: 'gpt-image', ...entry })));
}

describe(EngineSet.name, () => {
  it('shares one engine between models whose engine configs are equal, key order aside', async () => {
    const set = EngineSet.forQueues(
      registry([
        { id: 'a', engine: { kind: 'synthetic', steps: 4, delayMsPerImage: 0 } },
        { id: 'b', engine: { delayMsPerImage: 0, kind: 'synthetic', steps: 4 } },
        { id: 'c', engine: { kind: 'synthetic', steps: 8 } },
      ]),
      ['images'],
    );
    await set.loadAll();
    try {
      expect(set.forModel('a')).toBe(set.forModel('b'));
      expect(set.forModel('c')).not.toBe(set.forModel('a'));
      expect(set.describe().map((entry) => entry.models)).toEqual([['a', 'b'], ['c']]);
      expect(set.describe().every((entry) => entry.description?.engine === set.forModel(entry.models[0]!).name)).toBe(true);
    } finally {
      await set.closeAll();
    }
  });

  it('holds only the models routed to the queues it serves', () => {
    const set = EngineSet.forQueues(
      registry([
        { id: 'fast', queue: 'cpu' },
        { id: 'big', queue: 'gpu' },
      ]),
      ['gpu'],
    );
    expect(set.models()).toEqual(['big']);
    expect(() => set.forModel('fast')).toThrow(/serves no model "fast"/);
  });

  it('refuses to hand out an engine before loadAll', () => {
    const set = EngineSet.forQueues(registry([{ id: 'a' }]), ['images']);
    expect(() => set.forModel('a')).toThrow(/not loaded/);
  });

  it('fails loadAll with the engine error and the models it would have served', async () => {
    const set = EngineSet.forQueues(
      registry([
        { id: 'ok' },
        { id: 'x', engine: { kind: 'teleporter' } },
        { id: 'y', engine: { kind: 'teleporter' } },
      ]),
      ['images'],
    );
    await expect(set.loadAll()).rejects.toThrow(/engine teleporter for x, y failed to load: unknown engine kind "teleporter"/);
    expect(() => set.forModel('ok')).toThrow(/not loaded/);
  });
  it('fails loadAll with the onnx engine\'s own error when its model folder is not there', async () => {
    const set = EngineSet.forQueues(registry([{ id: 'sd', engine: { kind: 'onnx', modelDir: '/nonexistent/sd-turbo' } }]), ['images']);
    await expect(set.loadAll()).rejects.toThrow(/^engine onnx for sd failed to load: .*\/nonexistent\/sd-turbo/);
  });
});

describe('createEngine', () => {
  it('reports every bad field of a synthetic engine config', async () => {
    await expect(createEngine({ kind: 'synthetic', delayMsPerImage: -5, steps: 0, colour: 'red' })).rejects.toThrow(
      /engine\.delayMsPerImage[\s\S]*engine\.steps[\s\S]*colour/,
    );
  });

  it('builds a synthetic engine that is ready once loaded', async () => {
    const engine = await createEngine({ kind: 'synthetic', steps: 3 });
    await engine.load();
    try {
      const steps: number[] = [];
      const result = await engine.generate(
        { model: 'm', n: 1, width: 8, height: 8, quality: 'low', background: 'opaque', seed: 1, prompt: 'p', output: { format: 'png' } },
        { signal: new AbortController().signal, onProgress: (progress) => steps.push(progress.total) },
      );
      expect(result.images).toHaveLength(1);
      expect(new Set(steps)).toEqual(new Set([3]));
    } finally {
      await engine.close();
    }
  });
});
