import { encodeImage } from '@imageforge/engine-core';
import { patternImage } from '@imageforge/engine-core/testing';
import { assertEngineOutput } from '../src/stored-outputs';
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
