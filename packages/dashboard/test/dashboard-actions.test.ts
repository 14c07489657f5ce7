import { json, logIn, post, startDashboardServer, type DashboardServer } from './support/dashboard-server';

describe('dashboard actions and JSON endpoints', () => {
  let server: DashboardServer;
  let session: { cookie: string; csrf: string };
  beforeEach(async () => {
    server = await startDashboardServer();
    session = await logIn(server.url);
  });
  afterEach(() => server.close());

  const act = (action: string, body: unknown, csrf = session.csrf) => post(server.url, `/api/actions/${action}`, body, { cookie: session.cookie, 'x-csrf-token': csrf });
  const getJson = async (path: string) => {
    const response = await fetch(`${server.url}/dashboard/api/${path}`, { headers: { cookie: session.cookie } });
    return { status: response.status, body: await json(response) };
  };

  it('refuses a POST without the session CSRF token, or with another session\'s', async () => {
    expect((await post(server.url, '/api/actions/pause', { queue: 'images' }, { cookie: session.cookie })).status).toBe(403);
    expect((await act('pause', { queue: 'images' }, 'forged')).status).toBe(403);
    const other = await logIn(server.url);
    expect(other.csrf).not.toBe(session.csrf);
    const crossed = await act('pause', { queue: 'images' }, other.csrf);
    expect(crossed.status).toBe(403);
    expect((await json(crossed)).error.code).toBe('csrf_token_invalid');
    expect(server.ops.count('pause')).toBe(0);
  });

  it('runs each action with its input, logged under the session', async () => {
    const cases: Array<[string, unknown, string, unknown[]]> = [
      ['pause', { queue: 'images', lane: 'async' }, 'pause', [{ queue: 'images', lane: 'async' }]],
      ['resume', { queue: 'images' }, 'resume', [{ queue: 'images' }]],
      ['drain', { queue: 'images', lane: 'batch' }, 'drain', [{ queue: 'images', lane: 'batch' }]],
      ['retry', { jobId: 'img_1' }, 'retryJob', ['img_1']],
      ['retry', { filter: { queue: 'images', model: 'dall-e-2' } }, 'retryFailed', [{ queue: 'images', model: 'dall-e-2' }]],
      ['cancel', { jobId: 'img_2' }, 'cancelJob', ['img_2']],
      ['cancel', { filter: { queue: 'images', lane: 'async' } }, 'cancelMatching', [{ queue: 'images', lane: 'async' }]],
      ['clean', { queue: 'images', state: 'failed', olderThanMs: 3_600_000 }, 'clean', [{ queue: 'images' }, 'failed', 3_600_000]],
    ];
    for (const [action, body, method, args] of cases) {
      const response = await act(action, body);
      expect([action, response.status]).toEqual([action, 200]);
      const call = server.ops.calls.filter((c) => c.method === method).at(-1)!;
      expect(call.args.slice(0, -1)).toEqual(args);
      expect(call.args.at(-1)).toMatch(/^dashboard:[\w-]{8}$/);
      expect((await json(response)).affected).toBeGreaterThan(0);
    }
    const { body } = await getJson('actions');
    expect(body.actions.map((record: { action: string }) => record.action)).toEqual(['clean', 'cancelMatching', 'cancelJob', 'retryFailed', 'retryJob', 'drain', 'resume', 'pause']);
  });

  it('answers 400 naming the problem for bad action input, and touches nothing', async () => {
    const bad: Array<[string, unknown, string]> = [
      ['pause', {}, 'queue'],
      ['pause', { queue: 'images', lane: 'nightly' }, 'lane'],
      ['drain', { queue: 'images}{' }, 'queue'],
      ['retry', { jobId: 'img_1', filter: { queue: 'images' } }, 'jobId'],
      ['cancel', {}, 'jobId'],
      ['clean', { queue: 'images', state: 'active', olderThanMs: 1 }, 'state'],
      ['clean', { queue: 'images', state: 'failed', olderThanMs: -5 }, 'olderThanMs'],
    ];
    for (const [action, body, mentions] of bad) {
      const response = await act(action, body);
      const error = (await json(response)).error;
      expect([action, response.status, error.type]).toEqual([action, 400, 'invalid_request_error']);
      expect(error.message).toContain(mentions);
    }
    const malformed = await fetch(`${server.url}/dashboard/api/actions/pause`, { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' }, body: '{"queue":' });
    expect(malformed.status).toBe(400);
    expect(server.ops.calls.filter((call) => !['lanes', 'models', 'history'].includes(call.method))).toEqual([]);
  });

  it('validates job and usage queries, and finds one job by id', async () => {
    expect((await getJson('jobs?lane=nightly')).status).toBe(400);
    expect((await getJson('jobs?status=done')).body.error.message).toContain('status');
    expect((await getJson('usage?resolution=week')).status).toBe(400);
    const found = await getJson('jobs?text=img_9&lane=&model=dall-e-2&status=failed');
    expect(found.status).toBe(200);
    expect(server.ops.calls.find((call) => call.method === 'findJobs')!.args[0]).toEqual({ text: 'img_9', model: 'dall-e-2', status: 'failed' });
    expect((await getJson('jobs/img_missing')).status).toBe(404);
    expect((await getJson('usage?resolution=day')).body).toMatchObject({ resolution: 'day', usage: [{ images: 3 }] });
    const overview = await getJson('overview');
    expect(overview.body.lanes).toHaveLength(2);
    // The charts get the last hour of minute buckets and the last day of hour buckets.
    expect(overview.body.history.minute.series.all).toHaveLength(60);
    expect(overview.body.history.hour.series.all).toHaveLength(24);
  });

  it('in read-only mode hides the actions and answers 403 to every action POST', async () => {
    const readOnly = await startDashboardServer({ readOnly: true });
    try {
      const own = await logIn(readOnly.url);
      const page = await (await fetch(`${readOnly.url}/dashboard/`, { headers: { cookie: own.cookie } })).text();
      expect(page).toContain('<meta name="dashboard-read-only" content="true">');
      for (const action of ['pause', 'resume', 'drain', 'retry', 'cancel', 'clean']) {
        const response = await post(readOnly.url, `/api/actions/${action}`, { queue: 'images' }, { cookie: own.cookie, 'x-csrf-token': own.csrf });
        expect([action, response.status]).toEqual([action, 403]);
        expect((await json(response)).error.code).toBe('dashboard_read_only');
      }
      expect(readOnly.ops.log).toEqual([]);
      const reads = await fetch(`${readOnly.url}/dashboard/api/workers`, { headers: { cookie: own.cookie } });
      expect(reads.status).toBe(200);
    } finally {
      await readOnly.close();
    }
  });
});
