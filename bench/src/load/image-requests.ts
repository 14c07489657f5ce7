import { expectStatus, type HttpJsonClient } from './http-json-client';

/** Body of one generation request; `response_format` decides what the API returns. */
export interface GenerationBody {
  model: string;
  prompt: string;
  size: string;
  n: number;
  response_format: 'b64_json' | 'url';
}

const GENERATIONS = '/v1/images/generations';
const DONE = new Set(['completed', 'succeeded']);
const FAILED = new Set(['failed', 'cancelled', 'canceled', 'expired']);

/** One synchronous generation; fails unless every image came back in the asked format. Resolves with the `x-job-id`. */
export async function generateSync(client: HttpJsonClient, body: GenerationBody, timeoutMs: number): Promise<string | undefined> {
  const response = await client.send('POST', GENERATIONS, body, {}, timeoutMs);
  expectStatus(response, 200, 'sync generation');
  const data = (response.body as { data?: Array<Record<string, unknown>> }).data;
  if (!Array.isArray(data) || data.length !== body.n || data.some((image) => typeof image[body.response_format] !== 'string')) {
    throw new Error(`sync generation returned no ${body.response_format}: ${JSON.stringify(response.body).slice(0, 200)}`);
  }
  const jobId = response.headers['x-job-id'];
  return typeof jobId === 'string' ? jobId : undefined;
}

/** Submits with `Prefer: respond-async`; resolves with the job id from the 202. */
export async function submitAsync(client: HttpJsonClient, body: GenerationBody, timeoutMs: number): Promise<string> {
  const response = await client.send('POST', GENERATIONS, body, { prefer: 'respond-async' }, timeoutMs);
  expectStatus(response, 202, 'async submission');
  const id = (response.body as { id?: unknown }).id;
  if (typeof id !== 'string') throw new Error(`async submission returned no job id: ${JSON.stringify(response.body).slice(0, 200)}`);
  return id;
}

/** Polls the job until it is done; a failed job or the deadline is an error. */
export async function pollUntilDone(client: HttpJsonClient, id: string, intervalMs: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let attempt = 0; attempt < 100_000; attempt++) {
    const response = await client.send('GET', `/v1/images/jobs/${encodeURIComponent(id)}`, undefined, {}, timeoutMs);
    expectStatus(response, 200, 'job poll');
    const status = String((response.body as { status?: unknown }).status);
    if (DONE.has(status)) return;
    if (FAILED.has(status)) throw new Error(`job ${id} ${status}: ${JSON.stringify(response.body).slice(0, 200)}`);
    if (performance.now() + intervalMs > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`job ${id} not done within ${timeoutMs} ms`);
}
