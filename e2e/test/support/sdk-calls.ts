import OpenAI, { RateLimitError } from 'openai';

/** An SDK client of `url` that records the status (and `retry-after-ms`) of every attempt it makes, retries included. */
export function recordingClient(url: string, options: { apiKey: string; maxRetries?: number }) {
  const statuses: number[] = [];
  const retryAfterMs: Array<string | null> = [];
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: `${url}/v1`,
    maxRetries: options.maxRetries ?? 0,
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      statuses.push(response.status);
      retryAfterMs.push(response.headers.get('retry-after-ms'));
      return response;
    },
  });
  return { client, statuses, retryAfterMs };
}

/** What a call rejected with, or undefined when it succeeded. */
export function thrownBy(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** The SDK's RateLimitError a call must be refused with. */
export async function refusalOf(call: Promise<unknown>): Promise<RateLimitError> {
  const error = await thrownBy(call);
  expect(error).toBeInstanceOf(RateLimitError);
  return error as RateLimitError;
}
