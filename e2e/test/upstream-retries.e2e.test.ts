import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_KEY, bodyOf, useImageStack } from './support/image-stack.harness';
import { makePng } from './support/test-images';

const UPSTREAM_KEY = 'sk-upstream-for-the-scripted-server';
const RETRY_AFTER_MS = 400;
const MAX_CONCURRENCY = 2;

type Answer = (request: IncomingMessage, body: string, response: ServerResponse) => Promise<void> | void;

/**
 * An OpenAI-shaped server for the test: each route answers from its own script of
 * answers (the last one repeats), and records when each request arrived, which key it
 * carried and how many were in flight at once.
 */
class ScriptedUpstream {
  readonly arrivals = new Map<string, number[]>();
  readonly keys: string[] = [];
  readonly images = new Map<string, Buffer>();
  maxInFlight = 0;
  private inFlight = 0;
  private server: Server | undefined;
  private readonly scripts = new Map<string, Answer[]>();

  script(route: string, answers: Answer[]): void {
    this.scripts.set(route, [...answers]);
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const image = this.images.get(request.url ?? '');
    if (request.method === 'GET' && image) {
      response.writeHead(200, { 'content-type': 'image/png' }).end(image);
      return;
    }
    const route = (request.url ?? '').split('/')[1] ?? '';
    const script = this.scripts.get(route);
    if (!script) {
      response.writeHead(404).end();
      return;
    }
    this.arrivals.set(route, [...(this.arrivals.get(route) ?? []), Date.now()]);
    this.keys.push(String(request.headers.authorization));
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const answer = script.length > 1 ? script.shift()! : script[0]!;
      await answer(request, Buffer.concat(chunks).toString('utf8'), response);
    } finally {
      this.inFlight -= 1;
    }
  }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => (_request, _body, response) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
};

/** Images of the requested size as b64_json, after `delayMs`. */
const images = (delayMs = 0): Answer => async (_request, body, response) => {
  const { n = 1, size } = JSON.parse(body) as { n?: number; size: string };
  const [width, height] = size.split('x').map(Number) as [number, number];
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  const data = await Promise.all(Array.from({ length: n }, async (_, i) => ({ b64_json: (await makePng(width, height, { seed: i + 1 })).toString('base64') })));
  json(200, { created: Math.floor(Date.now() / 1000), data })(_request, body, response);
};

describe('the openai-upstream engine against a scripted upstream', () => {
  const server = new ScriptedUpstream();
  let base = '';
  const entry = (id: string, route: string, extra: Record<string, unknown> = {}) => ({
    id,
    profile: 'gpt-image',
    engine: { kind: 'openai-upstream', baseUrl: `${base}/${route}/v1`, model: 'gpt-image-1', apiKeyEnv: 'SCRIPTED_KEY', ...extra },
  });
  const stack = useImageStack({
    models: async () => {
      base = await server.start();
      return [
        entry('flaky', 'flaky'),
        entry('limited', 'limited', { maxConcurrency: MAX_CONCURRENCY }),
        entry('refusing', 'refusing'),
        entry('linking', 'linking'),
      ];
    },
    workerEnv: { SCRIPTED_KEY: UPSTREAM_KEY },
    workerConcurrency: 8,
  });
  afterAll(() => server.close());
  const generate = (model: string) =>
    stack.request('/v1/images/generations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, prompt: 'a lighthouse', size: '1024x1024', quality: 'low' }),
    });

  it('waits out a 429 for its retry-after-ms, tries again after a 500, and the job succeeds', async () => {
    server.script('flaky', [
      json(429, { error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } }, { 'retry-after-ms': String(RETRY_AFTER_MS) }),
      json(500, { error: { message: 'The server had an error', type: 'server_error', param: null, code: null } }),
      images(),
    ]);
    const response = await generate('flaky');
    expect(response.status).toBe(200);
    expect((await bodyOf(response)).data).toHaveLength(1);
    const arrivals = server.arrivals.get('flaky')!;
    expect(arrivals).toHaveLength(3);
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(RETRY_AFTER_MS);
    expect(server.keys).toContain(`Bearer ${UPSTREAM_KEY}`);
    expect(server.keys).not.toContain(`Bearer ${API_KEY}`);
  });

  it('keeps at most maxConcurrency requests in flight under six concurrent jobs', async () => {
    server.script('limited', [images(150)]);
    server.maxInFlight = 0;
    const responses = await Promise.all(Array.from({ length: 6 }, () => generate('limited')));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(server.arrivals.get('limited')).toHaveLength(6);
    expect(server.maxInFlight).toBeLessThanOrEqual(MAX_CONCURRENCY);
  });

  it('passes an upstream 4xx through as the same error, without trying again', async () => {
    const refusal = { message: 'Your request was rejected by the safety system.', type: 'image_generation_user_error', param: 'prompt', code: 'moderation_blocked' };
    server.script('refusing', [json(400, { error: refusal })]);
    const response = await generate('refusing');
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).error).toEqual(refusal);
    expect(server.arrivals.get('refusing')).toHaveLength(1);
  });

  it('stores the bytes behind an upstream url answer as they are', async () => {
    const picture = await makePng(1024, 1024, { seed: 7 });
    server.images.set('/files/picture.png', picture);
    server.script('linking', [json(200, { created: 1, data: [{ url: `${base}/files/picture.png` }] })]);
    const response = await generate('linking');
    expect(response.status).toBe(200);
    expect(Buffer.from((await bodyOf(response)).data[0].b64_json, 'base64').equals(picture)).toBe(true);
  });
});
