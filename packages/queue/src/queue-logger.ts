/** The slice of a pino logger this package writes to; pino's own logger fits. */
export interface QueueLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** Used when no logger is given: connection errors are expected during outages and retried anyway. */
export const silentLogger: QueueLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
