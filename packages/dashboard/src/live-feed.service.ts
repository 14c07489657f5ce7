import type { Response } from 'express';
import type { HistorySeries, LaneOverview, ModelOverview, OpsReader, WorkerView } from '@imageforge/ops';
import type { DashboardLogger } from './dashboard-errors';
import { trimHistory } from './overview-history';

export interface LiveSnapshot {
  at: number;
  lanes: LaneOverview[];
  models: ModelOverview[];
  workers: WorkerView[];
  /** Present on the ticks that re-read it (and on a stream's first snapshot): the charts change slower than the counts. */
  history?: { minute: HistorySeries; hour: HistorySeries };
}

export interface LiveFeedOptions {
  reader: OpsReader;
  intervalMs: number;
  /** History is read every this many ticks. */
  historyEveryTicks?: number;
  logger: DashboardLogger;
}

/**
 * The process's one reader of live figures: a single timer reads the overview and the workers once per
 * tick and writes the snapshot to every open stream, so ten open pages cost what one does. The timer
 * runs only while a stream is open.
 */
export class LiveFeed {
  private readonly streams = new Set<Response>();
  private timer: NodeJS.Timeout | undefined;
  private latest: LiveSnapshot | undefined;
  private latestHistory: LiveSnapshot['history'];
  private ticks = 0;
  private reading = false;

  constructor(private readonly options: LiveFeedOptions) {}

  get streamCount(): number {
    return this.streams.size;
  }

  /** Takes over an SSE response until the client goes away. */
  open(res: Response): void {
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    res.write(`retry: ${Math.max(1000, this.options.intervalMs)}\n\n`);
    this.streams.add(res);
    res.on('close', () => {
      this.streams.delete(res);
      if (this.streams.size === 0) this.stop();
    });
    if (this.latest) this.send(res, { ...this.latest, history: this.latestHistory });
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
      this.timer.unref();
      if (!this.latest) void this.tick();
    }
  }

  /** Ends every stream (shutdown). */
  close(): void {
    this.stop();
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    this.endStreamsOfClosedServers();
    // A slow Redis must not stack reads up: a tick that finds the last one running is skipped.
    if (this.reading || this.streams.size === 0) return;
    this.reading = true;
    try {
      const { reader } = this.options;
      const withHistory = this.ticks % (this.options.historyEveryTicks ?? 5) === 0;
      this.ticks += 1;
      const [lanes, models, workers, history] = await Promise.all([
        reader.lanes(),
        reader.models(),
        reader.workers(),
        withHistory ? Promise.all([reader.history('minute'), reader.history('hour')]) : Promise.resolve(undefined),
      ]);
      this.latest = { at: Date.now(), lanes, models, workers };
      if (history) this.latestHistory = { minute: trimHistory(history[0], 60), hour: trimHistory(history[1], 24) };
      const snapshot: LiveSnapshot = history ? { ...this.latest, history: this.latestHistory } : this.latest;
      for (const res of this.streams) this.send(res, snapshot);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'dashboard live snapshot failed');
      for (const res of this.streams) res.write(`event: stale\ndata: ${JSON.stringify({ at: Date.now() })}\n\n`);
    } finally {
      this.reading = false;
    }
  }

  /**
   * A stream never ends by itself, so a server that stopped listening (shutting down) would otherwise
   * wait for its close deadline: its streams end at the next tick and the browser reconnects elsewhere.
   */
  private endStreamsOfClosedServers(): void {
    for (const res of this.streams) {
      const server = (res.socket as (typeof res.socket & { server?: { listening?: boolean } }) | null)?.server;
      if (server && server.listening === false) res.end();
    }
  }

  private send(res: Response, snapshot: LiveSnapshot): void {
    res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
  }
}
