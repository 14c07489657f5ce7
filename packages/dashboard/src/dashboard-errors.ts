import type { Response } from 'express';
import type { ApiError } from '@imageforge/contracts';

/** The dashboard's JSON answers its errors in OpenAI's shape, as every other JSON route of the API. */
export function sendError(res: Response, error: ApiError): void {
  res.status(error.status).json(error.toBody());
}

/** What the dashboard's handlers log through; a pino logger fits. */
export interface DashboardLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}
