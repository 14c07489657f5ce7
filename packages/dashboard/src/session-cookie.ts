import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'imageforge_dashboard';

export interface DashboardSession {
  /** Random per login; names the session in the action log and seeds its CSRF token. */
  id: string;
  expiresAt: number;
}

/**
 * Signed, self-contained session cookies: `<id>.<expiresAt>.<mac>`. The signing key is derived from the
 * admin key, so every API process behind a load balancer accepts a session another one issued, and
 * rotating ADMIN_KEY ends every session.
 */
export class SessionSigner {
  private readonly key: Buffer;

  constructor(adminKey: string, private readonly ttlMs: number) {
    this.key = createHmac('sha256', adminKey).update('imageforge-dashboard-session-v1').digest();
  }

  issue(now = Date.now()): { session: DashboardSession; cookie: string } {
    const session = { id: randomBytes(16).toString('base64url'), expiresAt: now + this.ttlMs };
    const body = `${session.id}.${session.expiresAt}`;
    return { session, cookie: `${body}.${this.mac(body)}` };
  }

  /** The session a cookie value names, or null when it is malformed, forged or expired. */
  verify(value: string | undefined, now = Date.now()): DashboardSession | null {
    if (!value) return null;
    const parts = value.split('.');
    if (parts.length !== 3) return null;
    const [id, expires, mac] = parts as [string, string, string];
    if (!safeEqual(mac, this.mac(`${id}.${expires}`))) return null;
    const expiresAt = Number(expires);
    if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) return null;
    return { id, expiresAt };
  }

  /** Derived rather than stored: any process can check it, and it differs per session. */
  csrfToken(session: DashboardSession): string {
    return this.mac(`csrf.${session.id}`);
  }

  checkCsrf(session: DashboardSession, candidate: unknown): boolean {
    return typeof candidate === 'string' && safeEqual(candidate, this.csrfToken(session));
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url');
  }
}

/** Constant-time comparison of two strings of any lengths (hashing first hides the length too). */
export function safeEqual(a: string, b: string): boolean {
  const digest = (text: string) => createHmac('sha256', 'compare').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Reads one cookie from a Cookie header without a parser dependency. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export function sessionCookieHeader(value: string, options: { path: string; maxAgeSeconds: number; secure: boolean }): string {
  const attributes = [`${SESSION_COOKIE}=${value}`, `Path=${options.path}`, `Max-Age=${options.maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict'];
  if (options.secure) attributes.push('Secure');
  return attributes.join('; ');
}
