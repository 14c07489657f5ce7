import { pino } from 'pino';
import { parseWorkerConfig } from './worker-config';
import { startWorker } from './worker-runtime';

/** Composition root of a worker process: config, start, and an orderly stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = parseWorkerConfig(process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const logger = pino({ name: 'worker', level: config.log.level });

  // Listening before the engines load: a SIGTERM while they do (a deploy right after a start)
  // must stop the worker in order, not kill it by the signal's default action.
  let stopping: NodeJS.Signals | undefined;
  let running: Awaited<ReturnType<typeof startWorker>> | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal is an operator who will not wait: jobs still running are left to stalled detection.
      logger.warn({ signal }, 'second signal; exiting now');
      process.exit(1);
    }
    stopping = signal;
    if (running) shutDown(running, signal);
  };
  const shutDown = (worker: NonNullable<typeof running>, signal: NodeJS.Signals) => {
    logger.info({ signal, deadlineMs: config.worker.shutdownTimeoutMs }, 'shutting down');
    // Past the deadline plus a grace period something is stuck (e.g. Redis gone while closing):
    // exit anyway; jobs still locked are rescued by stalled detection.
    setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, config.worker.shutdownTimeoutMs + 10_000).unref();
    worker.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  try {
    running = await startWorker(config, { logger });
  } catch (error) {
    logger.fatal({ err: error }, 'worker refused to start');
    process.exit(1);
  }
  if (stopping) shutDown(running, stopping);
}

void main();
