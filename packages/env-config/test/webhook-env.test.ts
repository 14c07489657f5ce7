import { z } from 'zod';
import { parseEnvironment, webhookEnvProblems, webhookEnvShape } from '../src';

const schema = z.object(webhookEnvShape);
const parse = (env: Record<string, string>) => parseEnvironment(schema, env, { what: 'test', crossChecks: webhookEnvProblems });
const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

describe('webhook variables', () => {
  it('defaults to no endpoints, no allowed hosts and public addresses only', () => {
    expect(parse({})).toEqual({ WEBHOOK_ENDPOINTS: [], WEBHOOK_ALLOWED_HOSTS: [], WEBHOOK_ALLOW_PRIVATE_ADDRESSES: false });
  });

  it('parses endpoints, host lists and the flag', () => {
    const endpoints = [
      { id: 'ops', url: 'https://ops.example.com/hooks', secret, events: ['image.job.*', 'batch.completed'] },
      { id: 'tenant-1', url: 'http://10.0.0.5:8080/in', secret, owner: 'ab'.repeat(32) },
    ];
    expect(
      parse({ WEBHOOK_ENDPOINTS: JSON.stringify(endpoints), WEBHOOK_ALLOWED_HOSTS: 'Hooks.Example.com, .customers.example.net', WEBHOOK_SECRET: secret, WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' }),
    ).toEqual({ WEBHOOK_ENDPOINTS: endpoints, WEBHOOK_ALLOWED_HOSTS: ['hooks.example.com', '.customers.example.net'], WEBHOOK_SECRET: secret, WEBHOOK_ALLOW_PRIVATE_ADDRESSES: true });
  });

  it('names bad JSON without echoing it', () => {
    expect(() => parse({ WEBHOOK_ENDPOINTS: `[{"secret": "${secret}"` })).toThrow(/WEBHOOK_ENDPOINTS: is not valid JSON/);
    expect(() => parse({ WEBHOOK_ENDPOINTS: `[{"secret": "${secret}"` })).not.toThrow(new RegExp(secret.slice(6, 20)));
  });

  it('names each bad endpoint field, duplicate ids and bad secrets', () => {
    const endpoints = [
      { id: 'a', url: 'ftp://x.example.com', secret: 'whsec_c2hvcnQ=' },
      { id: 'a', url: 'https://x.example.com', secret, events: ['Image Job'], owner: 'me', extra: true },
    ];
    let message = '';
    try {
      parse({ WEBHOOK_ENDPOINTS: JSON.stringify(endpoints), WEBHOOK_SECRET: 'secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('WEBHOOK_ENDPOINTS.0.url: must be an http(s) URL');
    expect(message).toContain('WEBHOOK_ENDPOINTS.0.secret: must be whsec_ followed by the base64 of 24 to 64 random bytes');
    expect(message).toContain("WEBHOOK_ENDPOINTS.1.events.0: must be an event type, '*', or a prefix such as 'image.job.*'");
    expect(message).toContain('WEBHOOK_ENDPOINTS.1.owner: must be the sha256 hex of an API key');
    expect(message).toContain('WEBHOOK_ENDPOINTS.1: Unrecognized key: "extra"');
    expect(message).toContain('WEBHOOK_ENDPOINTS.1.id: endpoint id a appears twice');
    expect(message).toContain('WEBHOOK_SECRET: must be whsec_');
    expect(message).not.toContain(secret.slice(6));
  });

  it('requires WEBHOOK_SECRET once WEBHOOK_ALLOWED_HOSTS names a host, and a boolean flag', () => {
    expect(() => parse({ WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' })).toThrow(/WEBHOOK_SECRET: required when WEBHOOK_ALLOWED_HOSTS is set/);
    expect(() => parse({ WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'yes' })).toThrow(/WEBHOOK_ALLOW_PRIVATE_ADDRESSES/);
    expect(() => parse({ WEBHOOK_ALLOWED_HOSTS: 'bad host!', WEBHOOK_SECRET: secret })).toThrow(/each entry is a host name or a \.suffix/);
  });
});
