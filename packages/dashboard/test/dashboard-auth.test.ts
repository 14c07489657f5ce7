import { ADMIN_KEY, json, logIn, post, startDashboardServer, type DashboardServer } from './support/dashboard-server';
import express from 'express';
import { SessionSigner } from '../src/session-cookie';

describe('dashboard login and sessions', () => {
  let server: DashboardServer;
  beforeEach(async () => {
    server = await startDashboardServer();
  });
  afterEach(() => server.close());

  const get = (path: string, cookie?: string) => fetch(`${server.url}/dashboard${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });

  it('answers nothing but the login page and its CSS without a session', async () => {
    for (const path of ['/', '/static/js/main.js', '/static/dashboard.css', '/static/uplot/uPlot.esm.js']) {
      const response = await get(path);
      expect([path, response.status, response.headers.get('location')]).toEqual([path, 303, '/dashboard/login']);
    }
    for (const path of ['/api/overview', '/api/workers', '/api/jobs/abc', '/api/live', '/api/nope']) {
      const response = await get(path);
      expect([path, response.status]).toEqual([path, 401]);
      expect((await json(response)).error.code).toBe('dashboard_session_required');
    }
    expect((await post(server.url, '/api/actions/pause', { queue: 'images' }, {})).status).toBe(401);
    expect(server.ops.calls).toEqual([]);
    const login = await get('/login');
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('name="key"');
    expect((await get('/static/login.css')).status).toBe(200);
  });

  it('refuses a wrong key with no cookie, and sets an HttpOnly SameSite=Strict cookie for the right one', async () => {
    const wrong = await fetch(`${server.url}/dashboard/login`, { method: 'POST', body: new URLSearchParams({ key: 'not-the-key' }), redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('That is not the admin key.');

    const { setCookie, cookie, csrf } = await logIn(server.url);
    const flags = setCookie.split(';').map((part) => part.trim());
    expect(flags).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/dashboard']));
    expect(flags).not.toContain('Secure');
    expect(csrf.length).toBeGreaterThan(20);

    const page = await get('/', cookie);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<meta name="dashboard-read-only" content="false">');
    for (const path of ['/static/js/main.js', '/static/dashboard.css', '/static/uplot/uPlot.esm.js', '/static/uplot/uPlot.min.css']) {
      expect([path, (await get(path, cookie)).status]).toEqual([path, 200]);
    }
    expect((await get('/api/overview', cookie)).status).toBe(200);
  });

  it('accepts a cookie another process issued with the same admin key, and refuses tampered or foreign ones', async () => {
    const other = await startDashboardServer();
    try {
      const { cookie } = await logIn(other.url);
      expect((await get('/api/workers', cookie)).status).toBe(200);
      const [name, value] = cookie.split('=') as [string, string];
      const [id, expires, mac] = value.split('.') as [string, string, string];
      const longer = `${name}=${id}.${Number(expires) + 86_400_000}.${mac}`;
      expect((await get('/api/workers', longer)).status).toBe(401);
      const foreign = new SessionSigner('some-other-admin-key-0123456789', 60_000).issue().cookie;
      expect((await get('/api/workers', `${name}=${foreign}`)).status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('expires sessions', () => {
    const signer = new SessionSigner(ADMIN_KEY, 1000);
    const { cookie } = signer.issue(10_000);
    expect(signer.verify(cookie, 10_500)).not.toBeNull();
    expect(signer.verify(cookie, 11_000)).toBeNull();
  });

  it('rate limits login attempts per address to five a minute, right key or not', async () => {
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${server.url}/dashboard/login`, { method: 'POST', body: new URLSearchParams({ key: `guess-${i}` }), redirect: 'manual' });
      expect(response.status).toBe(401);
    }
    const limited = await fetch(`${server.url}/dashboard/login`, { method: 'POST', body: new URLSearchParams({ key: ADMIN_KEY }), redirect: 'manual' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('set-cookie')).toBeNull();
    expect(await limited.text()).toContain('Too many login attempts');
  });

  it('logs out with the CSRF token only, and the old cookie stops working here', async () => {
    const { cookie, csrf } = await logIn(server.url);
    const refused = await fetch(`${server.url}/dashboard/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(refused.status).toBe(403);
    const out = await fetch(`${server.url}/dashboard/logout`, { method: 'POST', headers: { cookie }, body: new URLSearchParams({ _csrf: csrf }), redirect: 'manual' });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/dashboard/login');
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await get('/api/overview', cookie)).status).toBe(401);
  });

  it('marks the cookie Secure when the request came over https', async () => {
    // Behind a TLS-terminating proxy the app trusts, express reports the original scheme.
    const app = express();
    app.set('trust proxy', 'loopback');
    const behindProxy = await startDashboardServer({}, app);
    try {
      const response = await fetch(`${behindProxy.url}/dashboard/login`, { method: 'POST', headers: { 'x-forwarded-proto': 'https' }, body: new URLSearchParams({ key: ADMIN_KEY }), redirect: 'manual' });
      expect(response.status).toBe(303);
      expect(response.headers.get('set-cookie')!.split(';').map((part) => part.trim())).toContain('Secure');
    } finally {
      await behindProxy.close();
    }
  });
});
