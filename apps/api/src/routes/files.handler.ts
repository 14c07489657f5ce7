import { pipeline } from 'node:stream';
import type { Request, Response } from 'express';
import {
  fileNotFound,
  missingParameter,
  parseFileCreateFields,
  parseFileListQuery,
  toFileDeleted,
  toFileList,
  toFileObject,
} from '@imageforge/contracts';
import type { FileRecord } from '@imageforge/files';
import { ObjectNotFoundError } from '@imageforge/storage';
import type { ApiDeps } from '../api-deps';
import { stagedUpload } from '../uploads/file-upload.middleware';
import { sendJson } from './json-response';

type FilesDeps = Pick<ApiDeps, 'files'>;

/** POST /v1/files, after createFileUploadMiddleware has streamed the `file` part into storage. */
export function createFileHandler(deps: FilesDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const staged = stagedUpload(req);
    try {
      const params = parseFileCreateFields((req.body ?? {}) as Record<string, unknown>);
      if (!staged) throw missingParameter('file');
      const record = await deps.files.commit(staged, params);
      sendJson(res, 200, toFileObject(record));
    } catch (error) {
      // Bytes no metadata will ever name; commit has already deleted those it refused.
      if (staged) await deps.files.discard(staged).catch(() => undefined);
      throw error;
    }
  };
}

/** GET /v1/files */
export function listFilesHandler(deps: FilesDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const params = parseFileListQuery(req.query as Record<string, unknown>);
    const page = await deps.files.list(String(res.locals.owner), params);
    res.json(toFileList(page.data, page.hasMore));
  };
}

/** GET /v1/files/:id */
export function retrieveFileHandler(deps: FilesDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    res.json(toFileObject(await ownedFile(deps, req, res)));
  };
}

/** DELETE /v1/files/:id */
export function deleteFileHandler(deps: FilesDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const id = String(req.params.id);
    if (!(await deps.files.delete(String(res.locals.owner), id))) throw fileNotFound(id);
    res.json(toFileDeleted(id));
  };
}

/** GET /v1/files/:id/content — the bytes, streamed from storage as they are read. */
export function fileContentHandler(deps: FilesDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const record = await ownedFile(deps, req, res);
    let content;
    try {
      content = await deps.files.openContent(record);
    } catch (error) {
      // Metadata whose bytes are gone (a delete that stopped half way) is no file to the caller.
      if (error instanceof ObjectNotFoundError) throw fileNotFound(record.id);
      throw error;
    }
    res.status(200);
    res.setHeader('content-type', 'application/octet-stream');
    // Once bytes have gone out no error body can follow: a read that fails midway cuts the connection,
    // so the caller sees a broken download rather than a short file.
    pipeline(content, res, (error) => {
      if (error && !res.destroyed) res.destroy(error);
    });
  };
}

async function ownedFile(deps: FilesDeps, req: Request, res: Response): Promise<FileRecord> {
  const id = String(req.params.id);
  const record = await deps.files.retrieve(String(res.locals.owner), id);
  if (!record) throw fileNotFound(id);
  return record;
}
