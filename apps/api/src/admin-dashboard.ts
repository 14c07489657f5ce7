import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { JobQueue } from '@imageforge/queue';
import type { Router } from 'express';

export const ADMIN_DASHBOARD_PATH = '/admin/queues';

type BullQueue = ReturnType<JobQueue<never>['queue']>;

/** bull-board over every queue; the admin-key guard is added by createApp. */
export function createAdminDashboard(queues: BullQueue[]): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(ADMIN_DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter });
  return serverAdapter.getRouter() as Router;
}
