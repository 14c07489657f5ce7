export { createDashboardRouter, type DashboardOptions, type DashboardRouter } from './dashboard-router';
export type { DashboardLogger } from './dashboard-errors';
export type { LiveSnapshot } from './live-feed.service';
