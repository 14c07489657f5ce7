import { RedisPaceBook } from '../src';
import { ConnectionPool } from './queue-test-kit';
import { uniqueQueueName, useRedisServer } from '@imageforge/testing';

describe(RedisPaceBook.name, () => {
  const redis = useRedisServer();
  const pool = new ConnectionPool();
  afterEach(() => pool.closeAll());

  it('starts at the first measurement and moves a fifth of the way toward each later one', async () => {
    const book = new RedisPaceBook({ redis: pool.consumer(redis.url), prefix: uniqueQueueName('pace') });
    expect(await book.read(['m'])).toEqual(new Map());
    await book.record('m', 10);
    await book.record('m', 20);
    await book.record('other', 1);
    const known = await book.read(['m', 'other', 'never', 'm']);
    expect(known.get('m')).toBeCloseTo(12, 10);
    expect(known.get('other')).toBe(1);
    expect(known.has('never')).toBe(false);
  });

  it('folds concurrent measurements without losing one to a stale read', async () => {
    const book = new RedisPaceBook({ redis: pool.consumer(redis.url), prefix: uniqueQueueName('pace'), weight: 0.5 });
    await book.record('m', 0);
    // With weight 1/2, n equal samples of 1 leave 1 - 2^-n: a lost write would leave more of the 0.
    await Promise.all(Array.from({ length: 10 }, () => book.record('m', 1)));
    expect((await book.read(['m'])).get('m')).toBeCloseTo(1 - 2 ** -10, 10);
  });

  it('ignores a measurement that is not a duration', async () => {
    const book = new RedisPaceBook({ redis: pool.consumer(redis.url), prefix: uniqueQueueName('pace') });
    await book.record('m', Number.NaN);
    await book.record('m', -1);
    expect(await book.read(['m'])).toEqual(new Map());
  });
});
