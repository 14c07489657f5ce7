import { eventMatches, hostAllowed, webhookConfigFromEnv, webhookUrlProblem, type WebhookConfig } from '../src';
import { newSecret } from './webhook-test-kit';

describe('endpoint filters and configuration', () => {
  it('matches an event by exact type, `*`, a prefix wildcard, or no filter at all', () => {
    expect(eventMatches(undefined, 'batch.completed')).toBe(true);
    expect(eventMatches(['*'], 'image.job.failed')).toBe(true);
    expect(eventMatches(['image.job.*'], 'image.job.failed')).toBe(true);
    expect(eventMatches(['image.job.*'], 'batch.failed')).toBe(false);
    expect(eventMatches(['batch.completed', 'batch.failed'], 'batch.failed')).toBe(true);
    expect(eventMatches(['batch.completed'], 'batch.expired')).toBe(false);
    expect(eventMatches(['image.*'], 'image.job.cancelled')).toBe(true);
  });

  it('refuses an endpoint whose filter no event type matches, naming it', () => {
    const env = { WEBHOOK_ALLOWED_HOSTS: [], WEBHOOK_ALLOW_PRIVATE_ADDRESSES: false };
    const endpoint = { id: 'ops', url: 'https://ops.example.com/hook', secret: newSecret() };
    expect(() => webhookConfigFromEnv({ ...env, WEBHOOK_ENDPOINTS: [{ ...endpoint, events: ['batch.completed', 'image.done'] }] })).toThrow(
      /endpoint ops filters on image\.done, which no event matches/,
    );
    const config = webhookConfigFromEnv({ ...env, WEBHOOK_ENDPOINTS: [{ ...endpoint, events: ['image.job.*'] }], WEBHOOK_SECRET: 'whsec_x' });
    expect(config).toEqual({ endpoints: [{ ...endpoint, events: ['image.job.*'] }], allowedHosts: [], urlSecret: 'whsec_x', allowPrivateAddresses: false });
  });
});

describe('webhook_url policy', () => {
  const config: Pick<WebhookConfig, 'allowedHosts' | 'urlSecret' | 'allowPrivateAddresses'> = {
    allowedHosts: ['hooks.example.com', '.customers.example.net', '10.0.0.5'],
    urlSecret: newSecret(),
    allowPrivateAddresses: false,
  };

  it('allows exact hosts and hosts below a .suffix, in any case and with a trailing dot', () => {
    expect(hostAllowed('hooks.example.com', config.allowedHosts)).toBe(true);
    expect(hostAllowed('HOOKS.example.com.', config.allowedHosts)).toBe(true);
    expect(hostAllowed('a.customers.example.net', config.allowedHosts)).toBe(true);
    expect(hostAllowed('customers.example.net', config.allowedHosts)).toBe(false);
    expect(hostAllowed('evilcustomers.example.net', config.allowedHosts)).toBe(false);
    expect(hostAllowed('sub.hooks.example.com', config.allowedHosts)).toBe(false);
    expect(hostAllowed('hooks.example.com.evil.io', config.allowedHosts)).toBe(false);
  });

  it.each([
    ['https://hooks.example.com/in', undefined],
    ['https://x.customers.example.net:8443/a?b=c', undefined],
    ['http://hooks.example.com/in', 'must be an https URL'],
    ['ftp://hooks.example.com/in', 'must be an https URL'],
    ['hooks.example.com/in', 'expected an absolute URL'],
    ['https://user:pw@hooks.example.com/in', 'must not carry credentials'],
    ['https://evil.example.org/in', "host 'evil.example.org' is not one this server delivers webhooks to"],
    ['https://10.0.0.5/in', "host '10.0.0.5' is a private address"],
  ])('%s: %s', (url, problem) => {
    expect(webhookUrlProblem(url, config)).toBe(problem);
  });

  it('takes http and private literals once private addresses are allowed', () => {
    const open = { ...config, allowPrivateAddresses: true };
    expect(webhookUrlProblem('http://hooks.example.com/in', open)).toBeUndefined();
    expect(webhookUrlProblem('https://10.0.0.5/in', open)).toBeUndefined();
    expect(webhookUrlProblem('ftp://hooks.example.com/in', open)).toBe('must be an https or http URL');
  });

  it('refuses every URL when no host is allowed or no secret signs them', () => {
    const message = 'this server does not deliver webhooks to request-named URLs';
    expect(webhookUrlProblem('https://hooks.example.com/in', { ...config, allowedHosts: [] })).toBe(message);
    expect(webhookUrlProblem('https://hooks.example.com/in', { ...config, urlSecret: undefined })).toBe(message);
  });
});
