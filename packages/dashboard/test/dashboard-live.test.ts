import { logIn, startDashboardServer, type DashboardServer } from './support/dashboard-server';
import type { LiveSnapshot } from '../src';

/** Reads an SSE stream until `count` snapshots arrived, then hangs up. */
async function snapshots(url: string, cookie: string, count: number, onEach?: (snapshot: LiveSnapshot, index: number) => void): Promise<LiveSnapshot[]> {
  const controller = new AbortController();
  const response = await fetch(`${url}/dashboard/api/live`, { headers: { cookie }, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const seen: LiveSnapshot[] = [];
  let buffer = '';
  while (seen.length < count) {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended early');
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0 && seen.length < count) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!frame.startsWith('event: snapshot')) continue;
      const snapshot = JSON.parse(frame.split('\n').find((line) => line.startsWith('data: '))!.slice(6)) as LiveSnapshot;
      seen.push(snapshot);
      onEach?.(snapshot, seen.length - 1);
    }
  }
  controller.abort();
  await reader.cancel().catch(() => undefined);
  return seen;
}

describe('dashboard live stream', () => {
  let server: DashboardServer;
  beforeEach(async () => {
    server = await startDashboardServer({ liveIntervalMs: 80 });
  });
  afterEach(() => server.close());

  it('pushes snapshots that follow the queues', async () => {
    const { cookie } = await logIn(server.url);
    const seen = await snapshots(server.url, cookie, 4, (_snapshot, index) => {
      if (index === 0) server.ops.lanesState[0]!.waiting = 17;
    });
    expect(seen[0]!.lanes[0]!.waiting).toBe(3);
    expect(seen.at(-1)!.lanes[0]!.waiting).toBe(17);
    expect(seen[0]!.workers[0]!.name).toBe('w1');
    expect(seen[0]!.history!.minute.series.all).toHaveLength(60);
    expect(seen.every((snapshot) => snapshot.models[0]!.model === 'dall-e-2')).toBe(true);
  });

  it('serves every open stream from one timer, which stops when the last stream closes', async () => {
    const { cookie } = await logIn(server.url);
    const perStream = 5;
    const streams = await Promise.all([1, 2, 3, 4].map(() => snapshots(server.url, cookie, perStream)));
    for (const seen of streams) expect(seen).toHaveLength(perStream);
    // Four streams of five snapshots: with one reader that is about five reads of the lanes, not twenty.
    const reads = server.ops.count('lanes');
    expect(reads).toBeLessThan(perStream * 2 + 2);
    // Streams sharing a tick see the very same snapshot.
    const times = streams.map((seen) => seen.map((snapshot) => snapshot.at));
    expect(times.slice(1).some((other) => other.some((at) => times[0]!.includes(at)))).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 100));
    const afterClose = server.ops.count('lanes');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(server.ops.count('lanes')).toBe(afterClose);
    expect(server.ops.count('workers')).toBe(server.ops.count('lanes'));
  });

  it('ends open streams once the server stops listening, so a shutdown does not wait for them', async () => {
    const { cookie } = await logIn(server.url);
    const response = await fetch(`${server.url}/dashboard/api/live`, { headers: { cookie } });
    const reader = response.body!.getReader();
    await reader.read();
    server.httpServer.close();
    let frames = 0;
    // Without the feed ending it, the stream would run on until the test times out.
    while (!(await reader.read()).done) frames += 1;
    expect(server.httpServer.listening).toBe(false);
    expect(frames).toBeLessThan(50);
  });
});
