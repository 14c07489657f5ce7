import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@imageforge/jobs';

/** A receiver configured by the operator (`WEBHOOK_ENDPOINTS`). */
export interface WebhookEndpoint {
  id: string;
  url: string;
  /** `whsec_<base64>`; read when a delivery is sent, never queued. */
  secret: string;
  /** Event types, `*`, or prefixes such as `image.job.*`; omitted: every event. */
  events?: readonly string[] | undefined;
  /** sha256 hex of an API key: only that key's events. Omitted: every owner's. */
  owner?: string | undefined;
}

export interface WebhookConfig {
  endpoints: readonly WebhookEndpoint[];
  /** Host names, or `.suffix`es, a request's own `webhook_url` may name; empty: none. */
  allowedHosts: readonly string[];
  /** Signs deliveries to request-named URLs; unset: `webhook_url` is refused. */
  urlSecret?: string | undefined;
  /** Lets deliveries reach loopback and private networks (development, tests). */
  allowPrivateAddresses: boolean;
}

/** The webhook variables as env-config's `webhookEnvShape` parses them. */
export interface WebhookEnvValues {
  WEBHOOK_ENDPOINTS: readonly WebhookEndpoint[];
  WEBHOOK_ALLOWED_HOSTS: readonly string[];
  WEBHOOK_SECRET?: string | undefined;
  WEBHOOK_ALLOW_PRIVATE_ADDRESSES: boolean;
}

/**
 * Standard Webhooks' schedule after the first, immediate attempt: 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h, 10 h, so eight attempts over about a day and a half.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** Retries the catalog's attempts allow after the first attempt; a schedule may be shorter, never longer. */
export const MAX_RETRIES = DEFAULT_RETRY_SCHEDULE_MS.length;

/** Whether an endpoint's filters take an event type. */
export function eventMatches(filters: readonly string[] | undefined, type: WebhookEventType): boolean {
  if (!filters || filters.length === 0) return true;
  return filters.some((filter) => filter === '*' || filter === type || (filter.endsWith('.*') && type.startsWith(filter.slice(0, -1))));
}

/**
 * The parsed variables as the webhooks package uses them. Throws when an endpoint
 * filters on a name no event has, which would otherwise silently receive nothing.
 */
export function webhookConfigFromEnv(env: WebhookEnvValues): WebhookConfig {
  for (const endpoint of env.WEBHOOK_ENDPOINTS) {
    const unmatched = (endpoint.events ?? []).filter((filter) => !WEBHOOK_EVENT_TYPES.some((type) => eventMatches([filter], type)));
    if (unmatched.length > 0) {
      throw new Error(
        `invalid webhook configuration:\n  WEBHOOK_ENDPOINTS: endpoint ${endpoint.id} filters on ${unmatched.join(', ')}, which no event matches (events: ${WEBHOOK_EVENT_TYPES.join(', ')})`,
      );
    }
  }
  return {
    endpoints: env.WEBHOOK_ENDPOINTS,
    allowedHosts: env.WEBHOOK_ALLOWED_HOSTS,
    urlSecret: env.WEBHOOK_SECRET,
    allowPrivateAddresses: env.WEBHOOK_ALLOW_PRIVATE_ADDRESSES,
  };
}
