import { RedisServerProcess, uniqueQueueName } from '@imageforge/testing';
import { isRedisUnavailableError, RedisUnavailableError } from '../src';
import { ConnectionPool, generatePayload, newJobId, waitFor, imageJobQueue } from './queue-test-kit';

describe('producer during a Redis outage', () => {
  const pool = new ConnectionPool();
  let server: RedisServerProcess;

  afterEach(async () => {
    pool.closeAll();
    await server.stop();
  });

  it('rejects enqueue within a second while Redis is down and enqueues again once it is back on the same port', async () => {
    server = await RedisServerProcess.start();
    const queueName = uniqueQueueName('outage');
    const connection = pool.producer(server.url);
    const queues = imageJobQueue(connection, [queueName]);
    await queues.waitUntilReady();
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId: newJobId() });

    await server.stop();
    const startedAt = Date.now();
    const failure = await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId: newJobId() }).catch((error: unknown) => error);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(isRedisUnavailableError(failure)).toBe(true);

    server = await RedisServerProcess.start({ port: server.port });
    await waitFor(() => connection.status === 'ready', 5_000, 'producer reconnect');
    const jobId = newJobId();
    await queues.enqueue({ queue: queueName, name: 'image.generate', payload: generatePayload(), jobId });
    expect(await queues.queue(queueName).getJobState(jobId)).toBe('waiting');
    await queues.close();
  });

  it('fails in-flight and new commands on a producer connection fast once Redis goes away', async () => {
    server = await RedisServerProcess.start();
    const connection = pool.producer(server.url);
    await waitFor(() => connection.status === 'ready', 5_000, 'producer connect');
    // Issued while the socket is still open: the ioredis error path, not enqueue's status check.
    const inFlight = connection.blpop('never-filled', 5).catch((error: unknown) => error);
    await server.stop();
    const startedAt = Date.now();
    expect(isRedisUnavailableError(await inFlight)).toBe(true);
    expect(isRedisUnavailableError(await connection.get('any').catch((error: unknown) => error))).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(1_000);

    server = await RedisServerProcess.start({ port: server.port });
    await waitFor(() => connection.status === 'ready', 5_000, 'producer reconnect');
    expect(await connection.ping()).toBe('PONG');
  });

  it('does not mistake ordinary errors for an outage', () => {
    expect(isRedisUnavailableError(new Error('ERR wrong number of arguments'))).toBe(false);
    expect(isRedisUnavailableError(new TypeError('x is undefined'))).toBe(false);
    expect(isRedisUnavailableError('ECONNREFUSED')).toBe(false);
    expect(isRedisUnavailableError(new RedisUnavailableError())).toBe(true);
    expect(isRedisUnavailableError(new Error('enqueue failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) }))).toBe(true);
  });
});
