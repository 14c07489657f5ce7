import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { classifyAddress, isDeliverableAddress } from './address-policy';

/** Every address a host name resolves to, as `dns.lookup(host, { all: true })` gives them. */
export type HostResolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const systemResolver: HostResolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivateAddresses: boolean;
  resolve?: HostResolver;
}

export type WebhookResponse =
  /** The receiver answered; `headers` are its response headers. */
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; latencyMs: number }
  /** Not sent: the host resolves to an address deliveries may not reach (or to none). */
  | { kind: 'refused'; reason: string; latencyMs: number }
  | { kind: 'timeout'; latencyMs: number }
  /** DNS failure, refused or reset connection, TLS failure: worth another attempt. */
  | { kind: 'network'; message: string; latencyMs: number };

/** What of a receiver's answer is read: its status and headers; the body is drained up to this and dropped. */
const MAX_DRAINED_BODY_BYTES = 64 * 1024;

class DeliveryTimeout extends Error {}

/**
 * POSTs one delivery. The host is resolved once and every address it has is checked;
 * the connection then goes to those checked addresses only (the socket's own lookup
 * answers with them), so a second resolution cannot swap in another. Host header
 * and TLS server name stay the URL's host name. Redirects are not followed.
 */
export async function sendWebhook(request: WebhookRequest): Promise<WebhookResponse> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const url = new URL(request.url);
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(hostname)) {
    addresses = [{ address: hostname, family: isIP(hostname) }];
  } else {
    try {
      addresses = await (request.resolve ?? systemResolver)(hostname);
    } catch (error) {
      return { kind: 'network', message: `cannot resolve ${hostname}: ${(error as Error).message}`, latencyMs: elapsed() };
    }
  }
  const first = addresses[0];
  if (!first) return { kind: 'refused', reason: `${hostname} resolves to no address`, latencyMs: elapsed() };
  const blocked = addresses.find(({ address }) => !isDeliverableAddress(address, request.allowPrivateAddresses));
  if (blocked) {
    return { kind: 'refused', reason: `${hostname} resolves to ${blocked.address}, a ${classifyAddress(blocked.address)} address`, latencyMs: elapsed() };
  }

  // Every address offered here was checked: with `all`, Node tries them in turn (IPv6 and IPv4 of one host).
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all) (callback as (error: null, addresses: Array<{ address: string; family: number }>) => void)(null, addresses);
    else callback(null, first.address, first.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<WebhookResponse>((resolve) => {
    let settled = false;
    const finish = (response: WebhookResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(response);
    };
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)), 'user-agent': 'imageforge-webhooks/1' },
        lookup: pinned,
        agent: false,
        ...(url.protocol === 'https:' ? { servername: isIP(hostname) ? undefined : hostname } : {}),
      },
      (res) => {
        finish({ kind: 'response', status: res.statusCode ?? 0, headers: res.headers, latencyMs: elapsed() });
        // The answer is in; a body that trickles on is cut rather than held open.
        const cut = setTimeout(() => res.destroy(), 5_000).unref();
        res.on('close', () => clearTimeout(cut));
        let drained = 0;
        res.on('data', (chunk: Buffer) => {
          drained += chunk.length;
          if (drained > MAX_DRAINED_BODY_BYTES) res.destroy();
        });
        res.on('error', () => undefined);
      },
    );
    const timer = setTimeout(() => req.destroy(new DeliveryTimeout()), request.timeoutMs);
    req.on('error', (error) => {
      finish(error instanceof DeliveryTimeout ? { kind: 'timeout', latencyMs: elapsed() } : { kind: 'network', message: error.message, latencyMs: elapsed() });
    });
    req.end(request.body);
  });
}
