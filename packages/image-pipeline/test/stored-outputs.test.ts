import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImage, probeImage } from '@imageforge/engine-core';
import { patternImage } from '@imageforge/engine-core/testing';
import { LocalObjectStorage } from '@imageforge/storage';
import { assertEngineOutput, storePartialImage } from '../src/stored-outputs';
import { params } from './pipeline-fixtures';

describe(assertEngineOutput.name, () => {
  const expected = params({ n: 1, width: 20, height: 20, outputFormat: 'png' });

  it('accepts RGBA and encoded images of the requested size', async () => {
    const raw = patternImage(20, 20, 0);
    await expect(assertEngineOutput([raw], expected)).resolves.toBeUndefined();
    await expect(assertEngineOutput([await encodeImage(raw, { format: 'png', background: 'opaque' })], expected)).resolves.toBeUndefined();
  });

  it('believes the file header, not the size an engine claims for an encoded image', async () => {
    const small = await encodeImage(patternImage(10, 10, 0), { format: 'png', background: 'opaque' });
    await expect(assertEngineOutput([{ ...small, width: 20, height: 20 }], expected)).rejects.toThrow(/is a 10x10 png file, expected 20x20 png/);
    await expect(assertEngineOutput([{ ...small, format: 'jpeg' as const, width: 20, height: 20 }], expected)).rejects.toThrow(/10x10 png file, expected 20x20 jpeg/);
    await expect(assertEngineOutput([{ kind: 'encoded' as const, data: Buffer.from('not an image'), format: 'png' as const, width: 20, height: 20 }], expected)).rejects.toThrow(
      /not a readable png file/,
    );
  });

  it('rejects the wrong number of images', async () => {
    await expect(assertEngineOutput([], expected)).rejects.toThrow(/returned 0 images, expected 1/);
  });
});

describe(storePartialImage.name, () => {
  let root = '';
  let storage: LocalObjectStorage;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'imageforge-previews-'));
    storage = new LocalObjectStorage({ root, publicBaseUrl: 'http://127.0.0.1:1/objects', signingSecret: 'previews-test-secret-01' });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const preview = { imageIndex: 1, partialIndex: 2, image: patternImage(64, 32, 3) };

  it('stores a preview at the final size and format unless the operator says otherwise', async () => {
    const stored = await storePartialImage(storage, 'imgjob_a', preview, params({ outputFormat: 'png', width: 64, height: 32 }));
    expect(stored).toEqual({ key: 'jobs/imgjob_a/partial/1-2.png', imageIndex: 1, partialIndex: 2 });
    expect(await probeImage(await storage.get(stored.key), { maxPixels: 1e6 })).toMatchObject({ format: 'png', width: 64, height: 32 });
  });

  it("scales an engine's smaller preview up to the request's size", async () => {
    const stored = await storePartialImage(storage, 'imgjob_e', { ...preview, image: patternImage(16, 8, 1) }, params({ outputFormat: 'webp', width: 64, height: 32 }));
    expect(await probeImage(await storage.get(stored.key), { maxPixels: 1e6 })).toMatchObject({ format: 'webp', width: 64, height: 32 });
  });

  it('scales a preview down to the configured longest side, keeping its aspect, at the configured quality', async () => {
    const jpeg = params({ outputFormat: 'jpeg', outputCompression: 100, width: 64, height: 32 });
    const small = await storePartialImage(storage, 'imgjob_b', preview, jpeg, { maxSide: 16 });
    expect(await probeImage(await storage.get(small.key), { maxPixels: 1e6 })).toMatchObject({ format: 'jpeg', width: 16, height: 8 });
    const square = params({ outputFormat: 'jpeg', outputCompression: 100, width: 256, height: 256 });
    const lossy = await storePartialImage(storage, 'imgjob_c', { ...preview, image: patternImage(256, 256, 5) }, square, { compression: 5 });
    const fine = await storePartialImage(storage, 'imgjob_d', { ...preview, image: patternImage(256, 256, 5) }, square);
    expect((await storage.get(lossy.key)).length).toBeLessThan((await storage.get(fine.key)).length / 2);
  });
});
