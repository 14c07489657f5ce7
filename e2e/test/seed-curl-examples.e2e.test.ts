import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { extractFromSeedDir, retarget } from './support/curl-examples';
import { API_KEY, useImageStack } from './support/image-stack.harness';
import { describeImage, makeMask, makePng } from './support/test-images';

const run = promisify(execFile);
const FIXTURE = join(__dirname, 'fixtures/seed-curl-examples.json');
const SEEDS_DIR = resolve(__dirname, '../../../shared/seeds');
const examples: string[] = JSON.parse(readFileSync(FIXTURE, 'utf8'));

describe('every curl example in the seed documents', () => {
  const stack = useImageStack();

  beforeAll(async () => {
    // The files the examples upload, at the sizes the examples ask for.
    writeFileSync(join(stack.dir, 'otter.png'), await makePng(1024, 1024, { alpha: true }));
    writeFileSync(join(stack.dir, 'mask.png'), await makeMask(1024, 1024, { x: 256, y: 256, w: 512, h: 512 }));
    for (const [index, name] of ['body-lotion', 'bath-bomb', 'incense-kit', 'soap'].entries()) {
      writeFileSync(join(stack.dir, `${name}.png`), await makePng(512, 512, { seed: index + 2 }));
    }
  });

  (existsSync(SEEDS_DIR) ? it : it.skip)('are all in the fixture, as extracted from the seed documents', () => {
    expect(extractFromSeedDir(SEEDS_DIR)).toEqual(examples);
  });

  it('finds the documented examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(9);
  });

  it.each(examples.map((command, index) => [index, command] as const))('example %i answers 200 with valid images', async (_index, command) => {
    const script = `${retarget(command, stack.url, 'IMAGEFORGE_KEY')} -sS -o response.json -w '%{http_code}'`;
    const { stdout } = await run('bash', ['-c', script], { cwd: stack.dir, env: { ...process.env, IMAGEFORGE_KEY: API_KEY } });
    const body = JSON.parse(readFileSync(join(stack.dir, 'response.json'), 'utf8'));
    expect({ status: stdout.trim(), error: body.error }).toEqual({ status: '200', error: undefined });
    const expectedCount = /n=2/.test(command) ? 2 : 1;
    expect(body.data).toHaveLength(expectedCount);
    for (const datum of body.data) {
      const bytes = datum.b64_json ? Buffer.from(datum.b64_json, 'base64') : Buffer.from(await (await fetch(datum.url)).arrayBuffer());
      const image = await describeImage(bytes);
      expect(image.format).toBe('png');
      expect(image.width).toBeGreaterThan(0);
      if (/"size": "1024x1024"|size="1024x1024"/.test(command)) expect([image.width, image.height]).toEqual([1024, 1024]);
    }
    if (/dall-e-3/.test(command)) expect(typeof body.data[0].revised_prompt).toBe('string');
  });
});
