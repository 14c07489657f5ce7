import { InvalidRequestError } from '@imageforge/contracts';
import type { ObjectStorage } from '@imageforge/storage';
import type { FileService } from './file.service';

/** Purposes whose files an edit may name as its images (OpenAI: `vision`, and `user_data`). */
const IMAGE_PURPOSES: ReadonlySet<string> = new Set(['vision', 'user_data']);

/**
 * Resolves `{ file_id }` in a JSON edit for the caller: only its own, unexpired files
 * uploaded for images. The job reads the file where it lies; the bytes are read here
 * only so the edit can be checked before it is queued.
 */
export function imageFileResolver(files: FileService, storage: ObjectStorage) {
  return async (owner: string, fileId: string, param: string): Promise<{ key: string; bytes: Buffer }> => {
    const file = await files.retrieve(owner, fileId);
    if (!file) throw new InvalidRequestError(`Invalid '${param}': no such File object: ${fileId}.`, { param, code: 'invalid_file_id' });
    if (!IMAGE_PURPOSES.has(file.purpose)) {
      throw new InvalidRequestError(`Invalid '${param}': file ${fileId} has purpose '${file.purpose}'; images are read from files uploaded with purpose 'vision' or 'user_data'.`, {
        param,
        code: 'invalid_file_purpose',
      });
    }
    return { key: file.key, bytes: await storage.get(file.key) };
  };
}
