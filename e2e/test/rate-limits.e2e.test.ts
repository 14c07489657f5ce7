import { useImageStack } from './support/image-stack.harness';
import { recordingClient, refusalOf } from './support/sdk-calls';

const KEY = 'sk-limits-0123456789abcdef';
const OTHER_KEY = 'sk-limits-fedcba9876543210';

describe('requests per minute, counted once for all API processes', () => {
  const env = { RATE_LIMIT_REQUESTS_PER_MINUTE: '3' };
  const stack = useImageStack({ apiKeys: [KEY, OTHER_KEY], apiEnv: env, withoutWorker: true });
  let second = '';
  beforeAll(async () => {
    second = (await stack.startAnotherApi(env)).url;
  });

  it("counts every authenticated /v1 request of a key on either process, and answers the next one with OpenAI's 429", async () => {
    const first = recordingClient(stack.url, { apiKey: KEY }).client;
    const { response } = await first.models.list().withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    expect(response.headers.get('x-ratelimit-reset-requests')).toBe('20s');

    // A request refused for its body still counted, and says so.
    const invalid = await fetch(`${second}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: '' }),
    });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    // Without a valid key nothing is counted against anyone.
    const anonymous = await fetch(`${second}/v1/models`, { headers: { authorization: 'Bearer sk-wrong-key' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('x-ratelimit-limit-requests')).toBeNull();

    const { response: last } = await recordingClient(second, { apiKey: KEY }).client.models.list().withResponse();
    expect(last.headers.get('x-ratelimit-remaining-requests')).toBe('0');

    const refused = await refusalOf(first.models.list());
    expect(refused.status).toBe(429);
    expect(refused.error).toEqual({
      message: expect.stringMatching(/^Rate limit reached for requests per min \(RPM\): Limit 3, Used 3, Requested 1\. Please try again in [\d.]+s\.$/),
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    });
    const waitMs = Number(refused.headers.get('retry-after-ms'));
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(20_000);
    expect(refused.headers.get('retry-after')).toBe(String(Math.ceil(waitMs / 1000)));
    expect(refused.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(refused.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+m)?[\d.]+s$/);

    // Another key has a minute of its own.
    const { response: other } = await recordingClient(second, { apiKey: OTHER_KEY }).client.models.list().withResponse();
    expect(other.headers.get('x-ratelimit-remaining-requests')).toBe('2');
  });
});

describe("the SDK's own retry of a rate-limited request", () => {
  // One request a second once the minute's burst is spent.
  const env = { RATE_LIMIT_REQUESTS_PER_MINUTE: '60' };
  const stack = useImageStack({ apiKeys: [KEY], apiEnv: env, withoutWorker: true });
  let second = '';
  beforeAll(async () => {
    second = (await stack.startAnotherApi(env)).url;
  });

  it('waits as long as retry-after-ms says and then succeeds', async () => {
    let refusedAt = -1;
    for (let attempt = 0; attempt < 200 && refusedAt < 0; attempt += 1) {
      const response = await fetch(`${attempt % 2 === 0 ? stack.url : second}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
      if (response.status === 429) refusedAt = attempt;
    }
    // A minute's worth went through first, spread over both processes.
    expect(refusedAt).toBeGreaterThanOrEqual(60);

    const retrying = recordingClient(second, { apiKey: KEY, maxRetries: 2 });
    const models = await retrying.client.models.list();
    expect(models.data.length).toBeGreaterThan(0);
    expect(retrying.statuses).toEqual([429, 200]);
    const waitMs = Number(retrying.retryAfterMs[0]);
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(1_000);
  });
});
