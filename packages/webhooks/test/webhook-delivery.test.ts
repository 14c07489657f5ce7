import { Webhook } from 'standardwebhooks';
import { WEBHOOKS_QUEUE } from '@imageforge/jobs';
import type { RedisClient } from '@imageforge/queue';
import { useRedisServer } from '@imageforge/testing';
import { deliveryIdFor, targetKey, type WebhookConfig } from '../src';
import { answer, hang, WebhookReceiver } from '@imageforge/testing';
import { event, newSecret, readyConnection, settledDelivery, startDeliveryRig, type DeliveryRig } from './webhook-test-kit';

const endpointTarget = (endpointId: string) => ({ kind: 'endpoint', endpointId }) as const;

describe('webhook delivery against a real receiver', () => {
  let connection: RedisClient;
  // Added before the server's own hook, so it runs first: the connection ends while Redis is still up.
  afterAll(() => connection?.disconnect());
  const redis = useRedisServer();
  let receiver: WebhookReceiver;
  let rig: DeliveryRig | undefined;
  const secret = newSecret();
  const urlSecret = newSecret();
  const configFor = (paths: string[], overrides: Partial<WebhookConfig> = {}): WebhookConfig => ({
    endpoints: paths.map((path) => ({ id: path.slice(1), url: receiver.url(path), secret })),
    allowedHosts: ['localhost'],
    urlSecret,
    allowPrivateAddresses: true,
    ...overrides,
  });

  beforeAll(async () => {
    connection = await readyConnection(redis.url);
    receiver = await WebhookReceiver.start();
  });
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('delivers a signed event the reference verifier accepts, and logs the attempt', async () => {
    rig = await startDeliveryRig(connection, configFor(['/ok']));
    const emitted = event();
    await rig.outbox.emit(emitted);
    const [request] = await receiver.waitFor('/ok', 1);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['webhook-id']).toBe(emitted.id);
    const verified = new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>);
    expect(verified).toEqual({ object: 'event', id: emitted.id, type: emitted.type, created_at: emitted.createdAt, data: emitted.data });

    const id = deliveryIdFor(emitted.id, endpointTarget('ok'));
    const record = await settledDelivery(rig.log, id);
    expect(record).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 200 });
    expect(record.attemptLog).toHaveLength(1);
    expect(record.attemptLog[0]).toMatchObject({ attempt: 1, status: 200 });
    expect(record.attemptLog[0]!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(record.attemptLog[0]!.at).toBeLessThanOrEqual(request!.at);
    expect(await rig.outbox.jobs.queue(WEBHOOKS_QUEUE).getJobState(id)).toBe('completed');
  });

  it('signs a request’s own webhook_url with WEBHOOK_SECRET', async () => {
    rig = await startDeliveryRig(connection, configFor([]));
    await rig.outbox.emit(event({ url: receiver.url('/own') }));
    const [request] = await receiver.waitFor('/own', 1);
    expect(() => new Webhook(urlSecret).verify(request!.body, request!.headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>)).toThrow();
  });

  it('retries a 500 on the schedule and then delivers, signing each attempt anew', async () => {
    rig = await startDeliveryRig(connection, configFor(['/flaky']), { retryScheduleMs: [300, 300] });
    receiver.script('/flaky', answer(500));
    const emitted = event();
    await rig.outbox.emit(emitted);
    const [first, second] = await receiver.waitFor('/flaky', 2);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(300 * 0.9);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(() => new Webhook(secret).verify(second!.body, second!.headers as Record<string, string>)).not.toThrow();
    const record = await settledDelivery(rig.log, deliveryIdFor(emitted.id, endpointTarget('flaky')));
    expect(record.state).toBe('delivered');
    expect(record.attemptLog.map((attempt) => attempt.status)).toEqual([500, 200]);
    expect(record.attemptLog[0]!.error).toBe('answered 500');
  });

  it('counts a redirect as a failure and never follows it', async () => {
    rig = await startDeliveryRig(connection, configFor(['/moved']), { retryScheduleMs: [50] });
    const location = { location: receiver.url('/elsewhere') };
    receiver.script('/moved', answer(302, location), answer(308, location));
    const emitted = event();
    await rig.outbox.emit(emitted);
    const record = await settledDelivery(rig.log, deliveryIdFor(emitted.id, endpointTarget('moved')));
    expect(record.state).toBe('failed');
    expect(record.attemptLog.map((attempt) => attempt.status)).toEqual([302, 308]);
    expect(record.lastError).toMatch(/no attempts left/);
    expect(receiver.on('/elsewhere')).toHaveLength(0);
  });

  it('disables an endpoint that answers 410: later events skip it, other endpoints still get them, a replay enables it again', async () => {
    rig = await startDeliveryRig(connection, configFor(['/gone', '/alive']));
    receiver.script('/gone', answer(410));
    const first = event();
    await rig.outbox.emit(first);
    const gone = await settledDelivery(rig.log, deliveryIdFor(first.id, endpointTarget('gone')));
    expect(gone).toMatchObject({ state: 'disabled', attempts: 1, lastStatus: 410 });
    expect(await rig.log.disabledAmong([targetKey(endpointTarget('gone'))])).toEqual(new Set(['endpoint:gone']));

    const second = event();
    await rig.outbox.emit(second);
    await receiver.waitFor('/alive', 2);
    expect(await rig.log.get(deliveryIdFor(second.id, endpointTarget('gone')))).toBeNull();
    expect(receiver.on('/gone')).toHaveLength(1);

    const replayId = await rig.outbox.replay(gone.id);
    expect(replayId).not.toBe(gone.id);
    const [, again] = await receiver.waitFor('/gone', 2);
    expect(again!.headers['webhook-id']).toBe(first.id);
    expect(await settledDelivery(rig.log, replayId!)).toMatchObject({ state: 'delivered', replayOf: gone.id });
    expect((await rig.log.disabledAmong(['endpoint:gone'])).size).toBe(0);
  });

  it('waits at least Retry-After before the next attempt', async () => {
    rig = await startDeliveryRig(connection, configFor(['/busy']), { retryScheduleMs: [50] });
    receiver.script('/busy', answer(429, { 'retry-after': '1' }));
    const emitted = event();
    await rig.outbox.emit(emitted);
    await receiver.waitFor('/busy', 1);
    const id = deliveryIdFor(emitted.id, endpointTarget('busy'));
    const pending = await rig.log.get(id);
    const [first, second] = await receiver.waitFor('/busy', 2, 5_000);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_000);
    const record = await settledDelivery(rig.log, id);
    expect(record.attemptLog.map((attempt) => attempt.status)).toEqual([429, 200]);
    if (pending?.state === 'pending' && pending.nextAttemptAt) expect(pending.nextAttemptAt - pending.attemptLog[0]!.at).toBeGreaterThanOrEqual(1_000);
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    rig = await startDeliveryRig(connection, configFor(['/slow']), { retryScheduleMs: [], timeoutMs: 200 });
    receiver.script('/slow', hang);
    const emitted = event();
    await rig.outbox.emit(emitted);
    const record = await settledDelivery(rig.log, deliveryIdFor(emitted.id, endpointTarget('slow')));
    expect(record.state).toBe('failed');
    expect(record.attemptLog).toHaveLength(1);
    expect(record.attemptLog[0]!.status).toBeNull();
    expect(record.attemptLog[0]!.error).toMatch(/no answer within the timeout/);
    expect(record.attemptLog[0]!.latencyMs).toBeGreaterThanOrEqual(190);
  });

  it('refuses a host resolving to loopback when private addresses are not allowed, as a permanent failure', async () => {
    rig = await startDeliveryRig(connection, { endpoints: [{ id: 'loopback', url: receiver.url('/refused'), secret }], allowedHosts: [], allowPrivateAddresses: false });
    const emitted = event();
    await rig.outbox.emit(emitted);
    const record = await settledDelivery(rig.log, deliveryIdFor(emitted.id, endpointTarget('loopback')));
    expect(record).toMatchObject({ state: 'failed', attempts: 1, lastStatus: null });
    expect(record.attemptLog[0]!.error).toMatch(/^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address$/);
    expect(receiver.on('/refused')).toHaveLength(0);
    expect(await rig.outbox.jobs.queue(WEBHOOKS_QUEUE).getJobState(record.id)).toBe('failed');
  });

  it('checks every address a host resolves to, IPv4-mapped IPv6 included', async () => {
    rig = await startDeliveryRig(
      connection,
      { endpoints: [{ id: 'mapped', url: `http://hooks.example.com:${receiver.port}/refused`, secret }], allowedHosts: [], allowPrivateAddresses: false },
      { resolve: async () => [{ address: '93.184.216.34', family: 4 }, { address: '::ffff:127.0.0.1', family: 6 }] },
    );
    const emitted = event();
    await rig.outbox.emit(emitted);
    const record = await settledDelivery(rig.log, deliveryIdFor(emitted.id, endpointTarget('mapped')));
    expect(record.state).toBe('failed');
    expect(record.attemptLog[0]!.error).toBe('refused: hooks.example.com resolves to ::ffff:127.0.0.1, a loopback address');
    expect(receiver.on('/refused')).toHaveLength(0);
  });

  it('connects to the address it checked, keeping the host name in the Host header', async () => {
    rig = await startDeliveryRig(
      connection,
      { endpoints: [{ id: 'pinned', url: `http://hooks.example.com:${receiver.port}/pinned`, secret }], allowedHosts: [], allowPrivateAddresses: true },
      { resolve: async () => [{ address: '127.0.0.1', family: 4 }] },
    );
    await rig.outbox.emit(event());
    const [request] = await receiver.waitFor('/pinned', 1);
    expect(request!.headers.host).toBe(`hooks.example.com:${receiver.port}`);
  });

  it('fails a delivery whose endpoint was removed from the configuration before it was sent', async () => {
    rig = await startDeliveryRig(connection, configFor(['/removed']), { handlerConfig: configFor([]) });
    const emitted = event();
    await rig.outbox.emit(emitted);
    const record = await settledDelivery(rig.log, deliveryIdFor(emitted.id, endpointTarget('removed')));
    expect(record).toMatchObject({ state: 'failed', attempts: 0, lastError: 'endpoint removed is no longer configured' });
    expect(receiver.on('/removed')).toHaveLength(0);
  });
});
