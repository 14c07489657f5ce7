import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelRegistryEntrySchema, NormalizedImageParamsSchema } from '@imageforge/contracts';
import { imageJobCatalog, inputImageKey, inputMaskKey, outputImageKey, type ImageJobCatalog } from '@imageforge/jobs';
import { LocalObjectStorage } from '@imageforge/storage';
import { InMemoryJobGateway } from '@imageforge/testing';
import { ImageJobPreparer, ImageJobQueryService, ImagesExpiredError, newImageJobId, renderImagesResponse, type ImageRequest } from '../src';

const HOUR = 3_600_000;
const START = 1_765_000_000_000;
const entry = ModelRegistryEntrySchema.parse({ id: 'dall-e-2', profile: 'dall-e-2' });
const params = (responseFormat: 'url' | 'b64_json') =>
  NormalizedImageParamsSchema.parse({ model: 'dall-e-2', profile: 'dall-e-2', n: 1, width: 256, height: 256, quality: 'standard', responseFormat, outputFormat: 'png', background: 'opaque' });
/** Job ids of the shape polls accept. */
const ids = Object.fromEntries([...'abcdefg'].map((letter) => [letter, newImageJobId()])) as Record<'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g', string>;
const origin = { requestId: 'req_1', owner: 'owner-a', lane: 'async' as const };

describe('image results under retention', () => {
  let dir: string;
  let storage: LocalObjectStorage;
  let now: number;
  let gateway: InMemoryJobGateway<ImageJobCatalog>;
  let preparer: ImageJobPreparer;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'image-retention-'));
    storage = new LocalObjectStorage({ root: dir, publicBaseUrl: 'http://127.0.0.1:1/objects', signingSecret: 'unit-test-secret-0123' });
    now = START;
    gateway = new InMemoryJobGateway(imageJobCatalog, () => now);
    preparer = new ImageJobPreparer(storage, () => now);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const query = (outputRetentionHours?: number) =>
    new ImageJobQueryService({ gateway, storage, urlTtlSeconds: 3600, now: () => now, ...(outputRetentionHours !== undefined ? { outputRetentionHours } : {}) });

  /** A generation a worker ran from START to START + 10 s, its image stored. */
  async function finishedJob(jobId: string, responseFormat: 'url' | 'b64_json'): Promise<string> {
    const { queue, name, payload } = await preparer.prepare(jobId, { operation: 'generation', entry, params: params(responseFormat), prompt: 'a lighthouse' }, origin, []);
    await gateway.enqueue({ queue, name, payload, jobId });
    gateway.start(jobId);
    const key = outputImageKey(jobId, 0, 'png');
    await storage.put(key, Buffer.from('png bytes'), { contentType: 'image/png' });
    now = START + 10_000;
    gateway.complete(jobId, { images: [{ key, contentType: 'image/png', width: 256, height: 256, bytes: 9 }], finishedAt: now });
    return key;
  }

  it('shows the images with the time they go, then says they are gone once RETENTION_OUTPUT_HOURS have passed', async () => {
    await finishedJob(ids.a, 'url');
    const expiresAt = Math.floor((START + 24 * HOUR) / 1000);

    now = START + HOUR;
    const fresh = await query(24).get(ids.a, 'owner-a');
    expect(fresh).toMatchObject({ status: 'succeeded', result_expires_at: expiresAt, error: null, result: { data: [{ url: expect.stringContaining(`/objects/jobs/${ids.a}/output/0.png`) }] } });

    now = START + 24 * HOUR;
    const gone = await query(24).get(ids.a, 'owner-a');
    expect(gone).toMatchObject({
      status: 'succeeded',
      result: null,
      result_expires_at: expiresAt,
      error: { code: 'result_expired', message: 'The images of this job were deleted after 24 hours.' },
    });
    expect(Object.keys(gone).sort()).toEqual(Object.keys(fresh).sort());
  });

  it('says the images are gone when storage no longer has them, sooner than its clock says, instead of failing the poll', async () => {
    const key = await finishedJob(ids.b, 'b64_json');
    await storage.delete(key);
    now = START + HOUR;

    expect(await query(24).get(ids.b, 'owner-a')).toMatchObject({ status: 'succeeded', result: null, error: { code: 'result_expired' } });
    expect(await query().get(ids.b, 'owner-a')).toMatchObject({ result: null, result_expires_at: null, error: { code: 'result_expired', message: 'The images of this job were deleted.' } });
  });

  it('never calls images gone without a retention, and gives no expiry to jobs that made none', async () => {
    await finishedJob(ids.c, 'b64_json');
    now = START + 1_000 * HOUR;
    expect(await query().get(ids.c, 'owner-a')).toMatchObject({ result: { data: [{ b64_json: Buffer.from('png bytes').toString('base64') }] }, result_expires_at: null, error: null });

    const { queue, name, payload } = await preparer.prepare(ids.d, { operation: 'generation', entry, params: params('url'), prompt: 'p' }, origin, []);
    await gateway.enqueue({ queue, name, payload, jobId: ids.d });
    expect(await query(24).get(ids.d, 'owner-a')).toMatchObject({ status: 'queued', result_expires_at: null, error: null });
  });

  it('answers a read of deleted image bytes with a 404 result_expired, whoever reads them', async () => {
    const key = await finishedJob(ids.e, 'b64_json');
    await storage.delete(key);
    const record = (await gateway.read(ids.e))!;

    const error = await renderImagesResponse(record.payload, record.result!, storage, 60).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImagesExpiredError);
    expect((error as ImagesExpiredError).toBody()).toMatchObject({ error: { code: 'result_expired', type: 'invalid_request_error' } });
    expect((error as ImagesExpiredError).status).toBe(404);
  });

  it('releases only what it stored as a job\'s inputs, never a file the request referred to or another job\'s inputs', async () => {
    await storage.put('files/file-ref', Buffer.from('uploaded'), { contentType: 'image/png' });
    const image = (bytes: string) => ({ bytes: Buffer.from(bytes), contentType: 'image/png' });
    const edit = (images: Extract<ImageRequest, { operation: 'edit' }>['images']): ImageRequest => ({
      operation: 'edit',
      entry,
      params: params('url'),
      prompt: 'p',
      images,
      mask: image('mask'),
    });
    await preparer.prepare(ids.f, edit([image('a'), { key: 'files/file-ref' }, image('c')]), origin, []);
    await preparer.prepare(ids.g, edit([image('other')]), origin, []);

    expect((await preparer.releaseInputs(ids.f)).sort()).toEqual([inputImageKey(ids.f, 0), inputImageKey(ids.f, 2), inputMaskKey(ids.f)].sort());

    expect(await storage.head(inputImageKey(ids.f, 0))).toBeNull();
    expect(await storage.head('files/file-ref')).not.toBeNull();
    expect(await storage.head(inputImageKey(ids.g, 0))).not.toBeNull();
    expect(await preparer.releaseInputs(ids.f)).toEqual([]);
  });
});
