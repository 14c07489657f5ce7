import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';

const OTHER_KEY = 'sk-other-0123456789abcdef';
const slowModels = [{ id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 600 } }];

interface Frame {
  event?: string;
  id?: string;
  data?: any;
  comment?: string;
}

/** Reads server-sent events off a fetch body until the server ends it. */
async function* framesOf(response: Response): AsyncGenerator<Frame> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const frame: Frame = {};
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, '');
          if (field === '') frame.comment = value;
          else if (field === 'event') frame.event = value;
          else if (field === 'id') frame.id = value;
          else if (field === 'data') frame.data = JSON.parse(value);
        }
        yield frame;
      }
    }
  } finally {
    // Leaving early (return/break) hangs up, as a client that disconnects does.
    await reader.cancel().catch(() => undefined);
  }
}

async function collect(response: Response, onFrame: (frame: Frame) => unknown = () => undefined): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const frame of framesOf(response)) {
    if (frame.comment !== undefined) continue;
    frames.push(frame);
    await onFrame(frame);
  }
  return frames;
}

/** Signed links carry their own expiry; the object is the same with the query stripped. */
const withoutSignatures = (job: any) => ({
  ...job,
  result: job.result ? { ...job.result, data: job.result.data.map((image: any) => ({ ...image, url: String(image.url).split('?')[0] })) } : null,
});

describe('GET /v1/images/jobs/{id}/events', () => {
  const stack = useImageStack({ apiKeys: [API_KEY, OTHER_KEY], models: slowModels, workerConcurrency: 1 });
  const submit = async (body: object) =>
    bodyOf(
      await stack.request('/v1/images/generations', {
        method: 'POST',
        headers: { 'content-type': 'application/json', prefer: 'respond-async' },
        body: JSON.stringify({ size: '256x256', ...body }),
      }),
    );
  const watch = (id: string, init: RequestInit & { key?: string } = {}) => stack.request(`/v1/images/jobs/${id}/events`, init);
  const job = async (id: string) => bodyOf(await stack.request(`/v1/images/jobs/${id}`));

  it('streams a job from its first state through progress to a final frame equal to the job object, and a waiting job’s place in line', async () => {
    const first = await submit({ prompt: 'first', n: 3 });
    const second = await submit({ prompt: 'second' });
    const third = await submit({ prompt: 'third' });

    const response = await watch(first.id);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const thirdStream = await watch(third.id);
    const thirdFrames = framesOf(thirdStream);
    const thirdFirst = await thirdFrames.next();
    expect(thirdFirst.value).toMatchObject({ event: 'queued', data: { id: third.id, status: 'queued' } });
    expect(typeof thirdFirst.value!.data.queue_position).toBe('number');
    await thirdFrames.return(undefined);

    // Poll the third job while the first runs: it waits behind the second, then heads the line.
    const positions: Array<number | null> = [];
    const polling = (async () => {
      for (let i = 0; i < 200; i++) {
        const polled = await job(third.id);
        if (polled.status !== 'queued') break;
        if (positions.at(-1) !== polled.queue_position) positions.push(polled.queue_position);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    const frames = await collect(response);
    const events = frames.map((frame) => frame.event);
    expect(['queued', 'started']).toContain(events[0]);
    expect(frames[0]!.data).toMatchObject({ id: first.id, object: 'image.job' });
    expect(events).toContain('progress');
    expect(frames.filter((frame) => frame.event === 'progress').every((frame) => frame.data.progress > 0 && frame.data.progress <= 100)).toBe(true);
    expect(events.at(-1)).toBe('completed');
    expect(events.filter((event) => event === 'completed')).toHaveLength(1);
    expect(frames.map((frame) => Number(frame.id))).toEqual(frames.map((_, index) => index + 1));
    const final = frames.at(-1)!.data;
    expect(final.status).toBe('succeeded');
    expect(final.queue_position).toBeNull();
    expect(final.result.data).toHaveLength(3);
    expect(withoutSignatures(final)).toEqual(withoutSignatures(await job(first.id)));

    await polling;
    expect(positions.slice(0, 2)).toEqual([1, 0]);
    // The reader that hung up after its first frame left the job alone: it runs to the end.
    expect((await collect(await watch(second.id))).at(-1)!.event).toBe('completed');
    expect((await collect(await watch(third.id))).at(-1)!.event).toBe('completed');
  });

  it('estimates from the measured pace when queued work should start and finish, later in line never sooner', async () => {
    // A finished job is what gives its model a measured pace.
    const measured = await stack.request('/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'pace', size: '256x256' }),
    });
    expect(measured.status).toBe(200);
    const running = await submit({ prompt: 'running', n: 2 });
    const next = await submit({ prompt: 'next' });
    const last = await submit({ prompt: 'last', n: 2 });
    let seen: { running: any; next: any; last: any } | undefined;
    for (let i = 0; i < 100 && !seen; i++) {
      const [a, b, c] = await Promise.all([job(running.id), job(next.id), job(last.id)]);
      if (a.status === 'in_progress' && b.status === 'queued' && c.status === 'queued') seen = { running: a, next: b, last: c };
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen).toBeDefined();
    const now = Date.now() / 1000;
    expect(seen!.running).toMatchObject({ estimated_start_at: null, queue_position: null });
    expect(seen!.running.estimated_finish_at).toEqual(expect.any(Number));
    expect(seen!.next.queue_position).toBe(0);
    expect(seen!.last.queue_position).toBe(1);
    // One slot at 0.6 s per image: `next` waits for `running`'s two images, `last` for `next`'s one too.
    for (const queued of [seen!.next, seen!.last]) {
      expect(queued.estimated_start_at).toBeGreaterThanOrEqual(Math.floor(now) - 1);
      expect(queued.estimated_start_at).toBeLessThanOrEqual(now + 30);
      expect(queued.estimated_finish_at).toBeGreaterThanOrEqual(queued.estimated_start_at);
    }
    expect(seen!.next.estimated_start_at).toBeGreaterThanOrEqual(seen!.running.estimated_finish_at - 1);
    expect(seen!.last.estimated_start_at).toBeGreaterThanOrEqual(seen!.next.estimated_start_at);
    expect(seen!.last.estimated_finish_at).toBeGreaterThan(seen!.next.estimated_finish_at);
    for (const id of [running.id, next.id, last.id]) expect((await collect(await watch(id))).at(-1)!.event).toBe('completed');
  });

  it('answers a reconnect after the end with the final frame at once, then ends', async () => {
    const done = await submit({ prompt: 'quick' });
    await collect(await watch(done.id));
    const started = Date.now();
    const frames = await collect(await watch(done.id, { headers: { 'last-event-id': '4' } }));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.event).toBe('completed');
    expect(withoutSignatures(frames[0]!.data)).toEqual(withoutSignatures(await job(done.id)));
  });

  it('ends with a cancelled frame when the job is cancelled while watched', async () => {
    const running = await submit({ prompt: 'runs long', n: 4 });
    const waiting = await submit({ prompt: 'cancel me' });
    const response = await watch(waiting.id);
    const frames = await collect(response, async (frame) => {
      if (frame.id === '1') expect((await stack.request(`/v1/images/jobs/${waiting.id}/cancel`, { method: 'POST' })).status).toBe(200);
    });
    expect(frames[0]!.event).toBe('queued');
    expect(frames.at(-1)).toMatchObject({ event: 'cancelled', data: { id: waiting.id, status: 'cancelled', error: { code: 'job_cancelled' } } });
    await collect(await watch(running.id));
  });

  it('hides another key’s job behind the same 404 as the job endpoint', async () => {
    const mine = await submit({ prompt: 'mine' });
    const foreign = await watch(mine.id, { key: OTHER_KEY });
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get('content-type')).toMatch(/application\/json/);
    expect((await bodyOf(foreign)).error).toMatchObject({ code: 'job_not_found', param: 'job_id', type: 'invalid_request_error' });
    expect((await watch('imgjob_doesnotexist')).status).toBe(404);
    await collect(await watch(mine.id));
  });
});
