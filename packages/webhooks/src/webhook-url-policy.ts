import { classifyAddress } from './address-policy';
import type { WebhookConfig } from './webhook-config';

/** Host names compare in lower case and without the root's trailing dot. */
function normalHost(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
}

/** `hooks.example.com` allows that host only; `.example.com` any host below it. */
export function hostAllowed(hostname: string, allowedHosts: readonly string[]): boolean {
  const host = normalHost(hostname);
  return allowedHosts.some((entry) => (entry.startsWith('.') ? host.endsWith(entry) && host.length > entry.length : host === entry));
}

/**
 * Why a request's own `webhook_url` cannot be used, or undefined when it can. Checked
 * when the request arrives and again before each delivery (the configuration may
 * have changed); the addresses its host resolves to are checked when it is sent.
 */
export function webhookUrlProblem(value: string, config: Pick<WebhookConfig, 'allowedHosts' | 'urlSecret' | 'allowPrivateAddresses'>): string | undefined {
  if (config.allowedHosts.length === 0 || !config.urlSecret) return 'this server does not deliver webhooks to request-named URLs';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'expected an absolute URL';
  }
  const schemes = config.allowPrivateAddresses ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) return config.allowPrivateAddresses ? 'must be an https or http URL' : 'must be an https URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (!hostAllowed(url.hostname, config.allowedHosts)) return `host '${normalHost(url.hostname)}' is not one this server delivers webhooks to`;
  const literal = classifyAddress(normalHost(url.hostname));
  if (literal !== 'invalid' && literal !== 'public' && !config.allowPrivateAddresses) return `host '${normalHost(url.hostname)}' is a ${literal} address`;
  return undefined;
}
