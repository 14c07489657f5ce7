import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signWebhook, webhookHeaders } from '../src';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe('Standard Webhooks signatures', () => {
  const body = JSON.stringify({ object: 'event', id: 'evt_1', type: 'batch.completed', created_at: 1_700_000_000, data: { id: 'batch_1' } });

  it('produces headers the reference verifier accepts, and it returns the body', () => {
    const secret = newSecret();
    const headers = webhookHeaders(secret, 'evt_1', Math.floor(Date.now() / 1000), body);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('matches the reference signer byte for byte', () => {
    const secret = newSecret();
    const at = new Date(1_700_000_123_000);
    expect(signWebhook(secret, 'msg_2', 1_700_000_123, body)).toBe(new Webhook(secret).sign('msg_2', at, body));
  });

  it('is rejected for another secret, a changed body, id or timestamp', () => {
    const secret = newSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(secret, 'evt_1', now, body);
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body.replace('batch_1', 'batch_2'), headers)).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'evt_2' })).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-timestamp': String(now - 1) })).toThrow();
  });

  it('refuses a secret without the whsec_ prefix', () => {
    expect(() => signWebhook(randomBytes(32).toString('base64'), 'evt_1', 1, body)).toThrow(/whsec_/);
  });
});
