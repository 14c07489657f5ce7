import { Redis } from 'ioredis';
import { ZodError } from 'zod';
import { NotFoundError } from '@imageforge/contracts';
import { uniqueQueueName } from '@imageforge/testing';
import { useRedisConnections } from './redis-connections';
import { API_KEY_PATTERN, apiKeyOwner, ApiKeyService, ApiKeyStore, assertScope, type ApiKeyServiceOptions } from '../src';

const T0 = 1_800_000_000_000;

describe(ApiKeyService.name, () => {
  const { connect, adopt } = useRedisConnections();
  let now = T0;
  let prefix = '';
  const service = (options: Partial<ApiKeyServiceOptions> = {}) => new ApiKeyService({ redis: connect(), prefix, now: () => now, ...options });
  beforeEach(() => {
    now = T0;
    prefix = uniqueQueueName('keys');
  });

  it('creates a key shown once, stores only its hash, and lets it in with its scopes and limits', async () => {
    const keys = service();
    const { record, key } = await keys.create({ name: 'catalogue team', scopes: ['read', 'images'], limits: { imagesPerMinute: 40 } });
    expect(key).toMatch(API_KEY_PATTERN);
    expect(record).toMatchObject({ id: expect.stringMatching(/^key_[A-Za-z0-9]{24}$/), name: 'catalogue team', prefix: key.slice(0, 7), createdAt: T0 / 1000, lastUsedAt: null });
    // Scopes come back in their canonical order whatever order they were given in.
    expect(record.scopes).toEqual(['images', 'read']);

    const inspector = connect();
    const stored = await inspector.keys(`${prefix}:*`);
    const values = await Promise.all(stored.map(async (name) => JSON.stringify(await (name.endsWith(':ids') ? inspector.zrange(name, '0', '-1') : (await inspector.type(name)) === 'hash' ? inspector.hgetall(name) : inspector.get(name)))));
    expect(stored.join(' ')).toContain(apiKeyOwner(key));
    expect([...stored, ...values].some((text) => text.includes(key))).toBe(false);

    const principal = await keys.principalFor(key);
    expect(principal).toEqual({ owner: apiKeyOwner(key), keyId: record.id, scopes: ['images', 'read'], limits: { imagesPerMinute: 40 } });
    expect(() => assertScope(principal!, 'batch')).toThrow('You have insufficient permissions for this operation. Missing scopes: batch.');
    expect(await keys.principalFor(`sk-${'A'.repeat(43)}`)).toBeNull();
    expect(await keys.principalFor('not-a-managed-key')).toBeNull();
  });

  it('lists every key oldest first with when it was last used, and never the key', async () => {
    const keys = service();
    const first = await keys.create({ name: 'first' });
    now += 1000;
    const second = await keys.create({ name: 'second', scopes: ['batch'] });
    now += 5000;
    await keys.principalFor(second.key);

    const listed = await service().list();
    expect(listed.map(({ id }) => id)).toEqual([first.record.id, second.record.id]);
    expect(listed[0]).toMatchObject({ scopes: ['images', 'batch', 'read'], lastUsedAt: null });
    expect(listed[1]).toMatchObject({ scopes: ['batch'], lastUsedAt: (T0 + 6000) / 1000 });
    expect(JSON.stringify(listed)).not.toContain(second.key);
  });

  it('touches last_used_at at most once a minute however often the key is used', async () => {
    const keys = service({ cacheTtlMs: 0 });
    const { record, key } = await keys.create({ name: 'busy' });
    await keys.principalFor(key);
    now += 30_000;
    await keys.principalFor(key);
    expect((await keys.get(record.id)).lastUsedAt).toBe(T0 / 1000);
    now += 30_000;
    await keys.principalFor(key);
    expect((await keys.get(record.id)).lastUsedAt).toBe(T0 / 1000 + 60);
  });

  it('updates name, scopes and limits; another process sees the change once its cache entry ages out', async () => {
    const here = service();
    const there = service({ cacheTtlMs: 500 });
    const { record, key } = await here.create({ name: 'team', limits: { requestsPerMinute: 10 } });
    expect((await there.principalFor(key))?.scopes).toEqual(['images', 'batch', 'read']);

    const updated = await here.update(record.id, { scopes: ['read'], limits: { dailyImages: 5 } });
    expect(updated).toMatchObject({ name: 'team', scopes: ['read'], limits: { dailyImages: 5 } });
    expect((await here.principalFor(key))?.scopes).toEqual(['read']);
    expect((await there.principalFor(key))?.scopes).toEqual(['images', 'batch', 'read']);
    now += 500;
    expect(await there.principalFor(key)).toMatchObject({ scopes: ['read'], limits: { dailyImages: 5 } });
  });

  it('revokes a key: refused at once where revoked, and on every other process within the cache lifetime', async () => {
    const here = service();
    const there = service({ cacheTtlMs: 500 });
    const { record, key } = await here.create({ name: 'leaving' });
    expect(await there.principalFor(key)).not.toBeNull();

    await here.revoke(record.id);
    expect(await here.principalFor(key)).toBeNull();
    now += 499;
    expect(await there.principalFor(key)).not.toBeNull();
    now += 1;
    expect(await there.principalFor(key)).toBeNull();
    expect(await here.list()).toEqual([]);
    await expect(here.get(record.id)).rejects.toThrow(NotFoundError);
    await expect(here.revoke(record.id)).rejects.toThrow(`No API key found with id '${record.id}'.`);
  });

  it('never brings a revoked key back through an update that raced the revoke', async () => {
    const store = new ApiKeyStore({ redis: connect(), prefix });
    const keys = service();
    const { record, key } = await keys.create({ name: 'raced' });
    await keys.revoke(record.id);
    expect(await store.replace(apiKeyOwner(key), { ...record, name: 'back again' })).toBe(false);
    expect(await service({ cacheTtlMs: 0 }).principalFor(key)).toBeNull();
  });

  it('refuses bodies the admin API must not accept', async () => {
    const keys = service();
    await expect(keys.create({})).rejects.toThrow(ZodError);
    await expect(keys.create({ name: 'x', scopes: [] })).rejects.toThrow(/scopes must name at least one of images, batch, read/);
    await expect(keys.create({ name: 'x', scopes: ['admin'] })).rejects.toThrow(ZodError);
    await expect(keys.create({ name: 'x', limits: { requestsPerMinute: 0 } })).rejects.toThrow(ZodError);
    await expect(keys.create({ name: 'x', owner: 'someone-else' })).rejects.toThrow(ZodError);
    const { record } = await keys.create({ name: 'kept' });
    await expect(keys.update(record.id, { limits: { burst: 3 } })).rejects.toThrow(ZodError);
    await expect(keys.update('key_missing', { name: 'y' })).rejects.toThrow(NotFoundError);
  });

  it('does not let a key in while Redis cannot be reached: the lookup fails rather than answering no key', async () => {
    const keys = service();
    const { key } = await keys.create({ name: 'outage' });
    const unreachable = adopt(new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null }));
    const offline = new ApiKeyService({ redis: unreachable, prefix });
    await expect(offline.principalFor(key)).rejects.toThrow();
  });
});
