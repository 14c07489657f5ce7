import { duplicateConnection, type RedisClient } from './redis-connection';
import type { QueueLogger } from './queue-logger';

/**
 * Listens on a queue's cancel channel with its own connection (a subscribed
 * connection can run nothing else). ioredis resubscribes after a reconnect; a
 * message missed meanwhile is covered by the cancel-request key the processor
 * checks when an attempt starts or fails.
 */
export class CancelSubscriber {
  private constructor(private readonly subscriber: RedisClient) {}

  static async start(connection: RedisClient, channel: string, onCancel: (jobId: string) => void, logger: QueueLogger, connectionName: string): Promise<CancelSubscriber> {
    const subscriber = duplicateConnection(connection, connectionName);
    subscriber.on('error', (error) => logger.warn({ err: error, channel }, 'cancel subscriber error'));
    subscriber.on('message', (received: string, jobId: string) => {
      if (received === channel) onCancel(jobId);
    });
    await subscriber.subscribe(channel);
    return new CancelSubscriber(subscriber);
  }

  async close(): Promise<void> {
    try {
      await this.subscriber.quit();
    } catch {
      this.subscriber.disconnect();
    }
  }
}
