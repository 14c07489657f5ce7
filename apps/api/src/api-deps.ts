import type { Router } from 'express';
import type { Logger } from 'pino';
import type { ModelRegistry } from '@imageforge/contracts';
import type { BatchService } from '@imageforge/batches';
import type { FileService } from '@imageforge/files';
import type { ImageJobQueryService, ImageJobWatchService, ImageRequestBuilder, ImageSubmissionService } from '@imageforge/image-service';
import type { LocalObjectStorage } from '@imageforge/storage';
import type { WebhookConfig, WebhookOutbox } from '@imageforge/webhooks';
import type { ApiMetrics, OpsActions, OpsReader } from '@imageforge/ops';
import type { ApiKeyService, RateLimiter } from '@imageforge/tenancy';

/** Everything createApp needs, built by hand in main.ts (or by a test). */
export interface ApiDeps {
  registry: ModelRegistry;
  /** Validates request bodies into ImageRequests: the one path for HTTP calls and batch lines. */
  requests: ImageRequestBuilder;
  submissions: ImageSubmissionService;
  /** OpenAI's Files API: bytes in object storage, metadata in Redis. */
  files: FileService;
  batches: BatchService;
  jobs: ImageJobQueryService;
  /** Live views of single jobs (GET /v1/images/jobs/:id/events). */
  jobWatches: ImageJobWatchService;
  /** Set when images live in a local directory: the API serves their signed links. */
  localObjects?: LocalObjectStorage;
  /** Named readiness checks (redis, storage); each throws when its dependency is down. */
  readiness: Record<string, () => Promise<void>>;
  /** GET /metrics: this process's registry (counters, HTTP histogram, gauges read from Redis at scrape time). */
  metrics: ApiMetrics;
  /** Static keys from API_KEYS: every scope, no Redis needed to check them. */
  apiKeys: readonly string[];
  /** Managed keys in Redis; absent (with no static keys either): auth off, loopback only. Administered at /admin/api/keys when an admin key is set. */
  managedKeys?: ApiKeyService;
  /** Per-key rate limits and quotas; absent: none. */
  rateLimits?: RateLimiter;
  /** The webhook outbox (admin deliveries API) and what a request's `webhook_url` may name; absent: no webhook_url. */
  webhooks?: { outbox: WebhookOutbox; urlPolicy: Pick<WebhookConfig, 'allowedHosts' | 'urlSecret' | 'allowPrivateAddresses'> };
  /** What the ops dashboard reads (queues, history, workers, jobs) and does (pause, drain, retry, cancel, clean); absent: no ops data. */
  ops?: { reader: OpsReader; actions: OpsActions };
  /** Mounted at /admin/queues behind the admin key, which also guards /admin/webhooks and /admin/api/keys; absent: no admin routes. */
  adminDashboard?: {
    router: Router;
    adminKey: string;
    /** DASHBOARD_READ_ONLY: /dashboard shows everything and acts on nothing. */
    readOnly?: boolean;
  };
  limits: {
    syncTimeoutMs: number;
    maxRequestBytes: number;
  };
  logger: Logger;
}
