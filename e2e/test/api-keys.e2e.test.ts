import OpenAI, { AuthenticationError, NotFoundError, PermissionDeniedError, toFile } from 'openai';
import { bodyOf, useImageStack } from './support/image-stack.harness';
import { thrownBy } from './support/sdk-calls';

const ADMIN_KEY = 'admin-key-0123456789abcdef';

const sdk = (url: string, apiKey: string) => new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0 });

describe('managed API keys', () => {
  const stack = useImageStack({ apiKeys: [], apiEnv: { ADMIN_KEY } });
  let second = '';
  beforeAll(async () => {
    second = (await stack.startAnotherApi()).url;
  });
  const admin = (path: string, init: RequestInit & { key?: string | null; json?: unknown } = {}) =>
    stack.request(`/admin/api/keys${path}`, {
      ...init,
      key: init.key === undefined ? ADMIN_KEY : init.key,
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json), headers: { 'content-type': 'application/json' } }),
    });
  const createKey = async (json: unknown) => {
    const response = await admin('', { method: 'POST', json });
    expect(response.status).toBe(200);
    return bodyOf(response);
  };

  it('keeps the admin API behind the admin key', async () => {
    expect((await admin('', { key: null })).status).toBe(401);
    const { key } = await createKey({ name: 'not an admin' });
    expect((await admin('', { key })).status).toBe(401);
    const invalid = await admin('', { method: 'POST', json: { name: 'x', scopes: ['admin'] } });
    expect(invalid.status).toBe(400);
    expect((await bodyOf(invalid)).error).toMatchObject({ type: 'invalid_request_error', param: 'scopes.0' });
  });

  it('creates a key shown once, used on another API process, listed without the key, and refused on that process within a second of its revoke', async () => {
    const created = await createKey({ name: 'catalogue', limits: { requestsPerMinute: 100 } });
    expect(created).toMatchObject({ object: 'api_key', name: 'catalogue', scopes: ['images', 'batch', 'read'], limits: { requestsPerMinute: 100 }, last_used_at: null });
    expect(created.key).toMatch(/^sk-[A-Za-z0-9]{43}$/);
    expect(created.prefix).toBe(created.key.slice(0, 7));

    const elsewhere = sdk(second, created.key);
    const image = await elsewhere.images.generate({ model: 'dall-e-2', prompt: 'a managed fox', size: '256x256' });
    expect(image.data?.[0]?.url).toBeTruthy();

    const listed = await bodyOf(await admin(''));
    expect(listed.object).toBe('list');
    const entry = listed.data.find((key: { id: string }) => key.id === created.id);
    expect(entry).toMatchObject({ name: 'catalogue', last_used_at: expect.any(Number) });
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(await bodyOf(await admin(`/${created.id}`))).toEqual(entry);

    const revoked = await admin(`/${created.id}`, { method: 'DELETE' });
    expect(await bodyOf(revoked)).toEqual({ object: 'api_key.deleted', id: created.id, deleted: true });
    const revokedAt = Date.now();
    // The other process answers from what it read about the key until its short cache entry ages out.
    let refused: unknown;
    while (!refused) {
      refused = await thrownBy(elsewhere.models.list());
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(Date.now() - revokedAt).toBeLessThan(1000);
    expect(refused).toBeInstanceOf(AuthenticationError);
    expect((refused as AuthenticationError).code).toBe('invalid_api_key');
    expect((await admin(`/${created.id}`)).status).toBe(404);
  });

  it("answers OpenAI's 403 for a call outside the key's scopes, and updates scopes without a restart", async () => {
    const { id, key } = await createKey({ name: 'reader', scopes: ['read'] });
    const reader = sdk(second, key);
    expect((await reader.models.list()).data.length).toBeGreaterThan(0);
    const denied = await thrownBy(reader.images.generate({ model: 'dall-e-2', prompt: 'not allowed', size: '256x256' }));
    expect(denied).toBeInstanceOf(PermissionDeniedError);
    expect((denied as PermissionDeniedError).error).toEqual({
      message: 'You have insufficient permissions for this operation. Missing scopes: images.',
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
    expect(await thrownBy(reader.files.list())).toBeInstanceOf(PermissionDeniedError);
    expect(await thrownBy(reader.batches.list())).toBeInstanceOf(PermissionDeniedError);

    const updated = await admin(`/${id}`, { method: 'POST', json: { scopes: ['images'] } });
    expect(await bodyOf(updated)).toMatchObject({ id, scopes: ['images'] });
    const here = sdk(stack.url, key);
    expect((await here.images.generate({ model: 'dall-e-2', prompt: 'allowed now', size: '256x256' })).data).toHaveLength(1);
    expect(await thrownBy(here.models.list())).toBeInstanceOf(PermissionDeniedError);
  });

  it("never lets one key read, cancel, list or learn of another key's jobs, events, files, batches or outputs", async () => {
    const [alice, bob] = await Promise.all([createKey({ name: 'alice' }), createKey({ name: 'bob' })]);
    const asAlice = sdk(stack.url, alice.key);
    const asBob = sdk(second, bob.key);
    const bobFetch = (path: string, init: RequestInit = {}) => fetch(`${second}${path}`, { ...init, headers: { authorization: `Bearer ${bob.key}`, ...init.headers } });

    const queued = await fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.key}`, 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ model: 'dall-e-2', prompt: "alice's fox", size: '256x256' }),
    });
    expect(queued.status).toBe(202);
    const job = await bodyOf(queued);
    const file = await asAlice.files.create({
      file: await toFile(Buffer.from(`${JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/images/generations', body: { model: 'dall-e-2', prompt: 'batch fox', size: '256x256' } })}\n`), 'alice.jsonl'),
      purpose: 'batch',
    });
    const batch = await asAlice.batches.create({ input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h' });
    let done = await asAlice.batches.retrieve(batch.id);
    for (let i = 0; i < 200 && done.status !== 'completed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      done = await asAlice.batches.retrieve(batch.id);
    }
    expect(done.status).toBe('completed');

    // Another key's object and an object that never existed answer alike, so nothing is learnt from the difference.
    const aliceJob = await bobFetch(`/v1/images/jobs/${job.id}`);
    const noJob = await bobFetch(`/v1/images/jobs/${job.id.slice(0, -4)}zzzz`);
    expect([aliceJob.status, noJob.status]).toEqual([404, 404]);
    expect((await bodyOf(aliceJob)).error.code).toBe((await bodyOf(noJob)).error.code);
    expect((await bobFetch(`/v1/images/jobs/${job.id}/events`)).status).toBe(404);
    expect((await bobFetch(`/v1/images/jobs/${job.id}/cancel`, { method: 'POST' })).status).toBe(404);

    for (const id of [file.id, done.output_file_id!]) {
      expect(await thrownBy(asBob.files.retrieve(id))).toBeInstanceOf(NotFoundError);
      expect(await thrownBy(asBob.files.content(id))).toBeInstanceOf(NotFoundError);
      expect(await thrownBy(asBob.files.delete(id))).toBeInstanceOf(NotFoundError);
    }
    expect((await asBob.files.list()).data).toEqual([]);
    expect(await thrownBy(asBob.batches.retrieve(batch.id))).toBeInstanceOf(NotFoundError);
    expect(await thrownBy(asBob.batches.cancel(batch.id))).toBeInstanceOf(NotFoundError);
    expect((await asBob.batches.list()).data).toEqual([]);
    // Only the admin key reads webhook deliveries, which name jobs of every key.
    expect((await bobFetch('/admin/webhooks/deliveries')).status).toBe(401);

    // Alice still has all of it.
    expect((await fetch(`${second}/v1/images/jobs/${job.id}`, { headers: { authorization: `Bearer ${alice.key}` } })).status).toBe(200);
    expect((await asAlice.files.list()).data.map(({ id }) => id).sort()).toEqual([file.id, done.output_file_id].sort());
    expect((await asAlice.batches.retrieve(batch.id)).id).toBe(batch.id);
  });
});
