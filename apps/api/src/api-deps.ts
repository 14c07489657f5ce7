import type { Router } from 'express';
import type { Logger } from 'pino';
import type { ModelRegistry } from '@imageforge/contracts';
import type { ImageJobQueryService, ImageRequestBuilder, ImageSubmissionService } from '@imageforge/image-service';
import type { LocalObjectStorage } from '@imageforge/storage';

/** Everything createApp needs, built by hand in main.ts (or by a test). */
export interface ApiDeps {
  registry: ModelRegistry;
  /** Validates request bodies into ImageRequests: the one path for HTTP calls and batch lines. */
  requests: ImageRequestBuilder;
  submissions: ImageSubmissionService;
  jobs: ImageJobQueryService;
  /** Set when images live in a local directory: the API serves their signed links. */
  localObjects?: LocalObjectStorage;
  /** Named readiness checks (redis, storage); each throws when its dependency is down. */
  readiness: Record<string, () => Promise<void>>;
  /** Figures for GET /metrics. */
  metrics: {
    syncWaiters(): number;
    /** queue -> BullMQ state -> count; throws while Redis is down. */
    queueJobCounts(): Promise<Record<string, Record<string, number>>>;
  };
  apiKeys: readonly string[];
  /** Mounted at /admin/queues behind the admin key; absent: no dashboard. */
  adminDashboard?: { router: Router; adminKey: string };
  limits: {
    syncTimeoutMs: number;
    maxRequestBytes: number;
  };
  logger: Logger;
}
