import type { JobHandlers, MaintenanceJobCatalog } from '@imageforge/jobs';
import { createStorageSweepHandler, type StorageSweepDeps } from './storage-sweep.handler';

export type MaintenanceDeps = StorageSweepDeps;

/** The worker-side handlers of the maintenance catalog. */
export function createMaintenanceJobHandlers(deps: MaintenanceDeps): JobHandlers<MaintenanceJobCatalog> {
  return { 'maintenance.sweep': createStorageSweepHandler(deps) };
}
