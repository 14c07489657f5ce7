import type { Request, Response } from 'express';
import { NotFoundError, PermissionDeniedError } from '@imageforge/contracts';
import { ObjectNotFoundError, type LocalObjectStorage } from '@imageforge/storage';

/** Where images in local storage are served: outside `/v1`, which is OpenAI's namespace (its Files API lives at /v1/files). */
export const LOCAL_OBJECTS_ROUTE = '/objects';

/**
 * Serves images kept in local storage through links signed by LocalObjectStorage.
 * The signature is the credential (like a presigned S3 link), so no API key is needed.
 */
export function localObjectsHandler(storage: LocalObjectStorage) {
  return async (req: Request, res: Response): Promise<void> => {
    const segments = req.params.key as unknown as string[] | string;
    const key = Array.isArray(segments) ? segments.join('/') : String(segments);
    const expires = String(req.query.expires ?? '');
    const signature = String(req.query.signature ?? '');
    if (!storage.verifySignedKey(key, expires, signature)) {
      throw new PermissionDeniedError('This link is invalid or has expired.', { code: 'invalid_signature' });
    }
    const info = await storage.head(key);
    if (!info) throw new NotFoundError('The file no longer exists.', { code: 'file_not_found' });
    try {
      const body = await storage.get(key);
      res.setHeader('content-type', info.contentType);
      res.setHeader('cache-control', 'private, max-age=3600');
      res.end(body);
    } catch (error) {
      if (error instanceof ObjectNotFoundError) throw new NotFoundError('The file no longer exists.', { code: 'file_not_found' });
      throw error;
    }
  };
}
