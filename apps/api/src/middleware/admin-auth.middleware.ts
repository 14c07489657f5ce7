import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/**
 * Guards the ops dashboard. Browsers get a Basic prompt (any user name, the admin
 * key as password); scripts may send the key as a Bearer token.
 */
export function createAdminAuthMiddleware(adminKey: string) {
  const expected = createHash('sha256').update(adminKey).digest();
  const matches = (candidate: string) => timingSafeEqual(expected, createHash('sha256').update(candidate).digest());
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.header('authorization') ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1];
    const basic = /^Basic\s+(.+)$/i.exec(header)?.[1];
    const password = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':').slice(1).join(':') : undefined;
    if ((bearer && matches(bearer.trim())) || (password && matches(password))) return next();
    res.setHeader('www-authenticate', 'Basic realm="imageforge admin", charset="UTF-8"');
    res.status(401).json({ error: { message: 'Admin key required.', type: 'invalid_request_error', param: null, code: 'invalid_admin_key' } });
  };
}
