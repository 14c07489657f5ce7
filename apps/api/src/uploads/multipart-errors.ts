import multer from 'multer';
import { InvalidRequestError, PayloadTooLargeError, type ApiError } from '@imageforge/contracts';

/** multer / busboy failures are caller mistakes, never 500s. */
export function translateMulterError(error: unknown): ApiError | null {
  if (error instanceof multer.MulterError) {
    switch (error.code) {
      case 'LIMIT_FILE_SIZE':
        return new PayloadTooLargeError(`File '${error.field ?? 'image'}' is larger than the largest accepted upload.`, {
          param: normaliseField(error.field),
          code: 'file_too_large',
        });
      case 'LIMIT_FILE_COUNT':
        return new InvalidRequestError('Too many files: at most 16 images and one mask are accepted.', {
          param: 'image',
          code: 'too_many_files',
        });
      case 'LIMIT_UNEXPECTED_FILE':
        return new InvalidRequestError(`Unexpected file field '${error.field ?? ''}'. Files go in 'image', 'image[]' or 'mask'.`, {
          param: error.field ?? null,
          code: 'unexpected_file',
        });
      case 'LIMIT_FIELD_VALUE':
        return new InvalidRequestError(`Field '${error.field ?? ''}' is too long.`, { param: error.field ?? null, code: 'field_too_long' });
      default:
        return new InvalidRequestError(`Invalid multipart body: ${error.message}.`, { param: error.field ?? null, code: 'invalid_multipart' });
    }
  }
  if (error instanceof Error && /^(Unexpected end of form|Multipart: Boundary not found|Malformed part header|Part terminated early)/i.test(error.message)) {
    return new InvalidRequestError(`Invalid multipart body: ${error.message}.`, { code: 'invalid_multipart' });
  }
  return null;
}

function normaliseField(field: string | undefined): string {
  return field === 'image[]' || !field ? 'image' : field;
}
