import type { JobHandlers, MaintenanceJobCatalog } from '@imageforge/jobs';
import { createFileExpiryHandler, type FileExpiryDeps } from './file-expiry.handler';
import { createStorageSweepHandler, type StorageSweepDeps } from './storage-sweep.handler';

export type MaintenanceDeps = StorageSweepDeps & FileExpiryDeps;

/** The worker-side handlers of the maintenance catalog. */
export function createMaintenanceJobHandlers(deps: MaintenanceDeps): JobHandlers<MaintenanceJobCatalog> {
  return { 'maintenance.sweep': createStorageSweepHandler(deps), 'maintenance.expire-files': createFileExpiryHandler(deps) };
}
