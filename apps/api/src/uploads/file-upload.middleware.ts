import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { InvalidRequestError, parseUploadPurpose, unknownParameter, type FilePurpose } from '@imageforge/contracts';
import type { FileService, StagedFile } from '@imageforge/files';

/** The form's `file` part once its bytes are in storage; see stagedUpload(). */
interface StagedPart {
  staged?: StagedFile;
}

const FILE_FIELD = 'file';

/**
 * Multipart parsing for `POST /v1/files` that streams the `file` part straight into storage through
 * FileService.stage, so a 512 MB upload never sits in API memory (the image routes' multer middleware
 * buffers its files). Fields may come before or after the file: a purpose sent first is checked before
 * any byte is stored, one sent after is checked when the handler commits.
 */
export function createFileUploadMiddleware(files: FileService): RequestHandler {
  const storage: multer.StorageEngine = {
    _handleFile(req, file, callback) {
      let purpose: FilePurpose | undefined;
      const fieldsSoFar = (req.body ?? {}) as Record<string, unknown>;
      try {
        if (fieldsSoFar.purpose !== undefined) purpose = parseUploadPurpose(fieldsSoFar.purpose);
      } catch (error) {
        file.stream.resume();
        return callback(error);
      }
      const owner = String(req.res?.locals.owner);
      files.stage({ owner, filename: file.originalname, body: file.stream, ...(purpose ? { purpose } : {}) }).then(
        (staged) => callback(null, { staged } as Partial<Express.Multer.File>),
        (error: unknown) => callback(error),
      );
    },
    // multer calls this for a part already stored when the rest of the form fails.
    _removeFile(_req, file, callback) {
      const { staged } = file as Express.Multer.File & StagedPart;
      if (!staged) return callback(null);
      files.discard(staged).then(() => callback(null), callback);
    },
  };
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.is('multipart/form-data')) return next(notMultipart(req.header('content-type')));
    // One parser per request, so the file count below is this request's own.
    let fileParts = 0;
    const upload = multer({
      storage,
      limits: { fields: 8, fieldSize: 64 * 1024, fieldNameSize: 200, parts: 12 },
      fileFilter(_req, file, callback) {
        if (file.fieldname !== FILE_FIELD) return callback(unknownParameter(file.fieldname));
        fileParts += 1;
        if (fileParts > 1) return callback(new InvalidRequestError("Only one file can be uploaded per request in 'file'.", { param: FILE_FIELD, code: 'too_many_files' }));
        callback(null, true);
      },
    }).any();
    upload(req, res, next);
  };
}

/** The staged `file` part of a parsed form, if one came. */
export function stagedUpload(req: Request): StagedFile | undefined {
  const parts = Array.isArray(req.files) ? (req.files as Array<Express.Multer.File & StagedPart>) : [];
  return parts.find((part) => part.fieldname === FILE_FIELD)?.staged;
}

function notMultipart(contentType: string | undefined): InvalidRequestError {
  return new InvalidRequestError(
    `Invalid Content-Type header (${contentType ?? 'none'}), expected multipart/form-data. (HINT: If you're using curl, you can pass -F 'file=@<path>' -F 'purpose=<purpose>')`,
    { code: 'invalid_content_type' },
  );
}
