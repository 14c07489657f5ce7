import { parseApiEnv } from './api-config';
import { startApi } from './api-runtime';

/** The API process: parse config once, start, stop in order on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let env;
  try {
    env = parseApiEnv(process.env);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  }
  // Listening before the start: a SIGTERM while the API connects stops it in order once it is up.
  let stopping: string | undefined;
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  const shutDown = (running: NonNullable<typeof api>, signal: string) => {
    running.logger.info({ signal }, 'api shutting down');
    running
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        running.logger.error({ err: error }, 'api shutdown failed');
        process.exit(1);
      });
  };
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = signal;
    if (api) shutDown(api, signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  api = await startApi(env);
  if (stopping) shutDown(api, stopping);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
