import { readFile as readFileCallback, writeFile as writeFileCallback } from 'node:fs';
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/* File-system steps of LocalObjectStorage. */

/**
 * The callback `readFile` rather than `fs/promises`: on Node 20 the promise version
 * costs about twice the CPU per small file (FileHandle plumbing on each of its
 * open/fstat/read/close steps), and every b64_json answer reads one.
 */
export function readWholeFile(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    readFileCallback(path, (error, data) => (error ? reject(error) : resolve(data)));
  });
}

/** The callback `writeFile`, for the same reason as readWholeFile. */
export function writeWholeFile(path: string, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    writeFileCallback(path, data, (error) => (error ? reject(error) : resolve()));
  });
}

/** Removes `dir` and its parents while they are empty, stopping below `stopAt`. */
export async function pruneEmptyParents(dir: string, stopAt: string): Promise<void> {
  for (let current = dir; current.startsWith(`${stopAt}/`); current = dirname(current)) {
    try {
      await rmdir(current);
    } catch {
      // Not empty (or already gone, or written to meanwhile): the folders above stay too.
      return;
    }
  }
}

export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR';
}

/**
 * Removes the files directly in `dir` last written before `before` (unix ms): temp files a write
 * cut short by a crash left behind. A write in progress keeps touching its file, so only one idle
 * that long goes. Answers how many it removed.
 */
export async function removeStaleFiles(dir: string, before: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (isMissing(error)) return 0;
    throw error;
  }
  let removed = 0;
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    // Gone meanwhile: the write finished and renamed it into place.
    if (!info?.isFile() || info.mtimeMs >= before) continue;
    await rm(path, { force: true });
    removed += 1;
  }
  return removed;
}
