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
  const api = await startApi(env);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    api.logger.info({ signal }, 'api shutting down');
    api
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        api.logger.error({ err: error }, 'api shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
