import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ListedObject } from './object-storage';

/**
 * Compares keys segment by segment: the order a sorted walk of the directory tree
 * visits files in, so a cursor key tells the walk which subtrees it may skip.
 */
export function compareKeys(a: string, b: string): number {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i]! < right[i]! ? -1 : 1;
  }
  return left.length - right.length;
}

/**
 * Up to `limit` files under `base` whose keys start with `prefix`, in compareKeys
 * order, after the key `after`. Reads one directory at a time, so memory grows with
 * the widest directory on the way, not with the store.
 */
export async function walkKeys(base: string, prefix: string, after: string | undefined, limit: number): Promise<ListedObject[]> {
  const found: ListedObject[] = [];
  const slash = prefix.lastIndexOf('/');
  const startDir = slash >= 0 ? prefix.slice(0, slash) : '';

  const visit = async (dirKey: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(join(base, dirKey), { withFileTypes: true })).map((entry) => entry.name).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    for (const name of names) {
      if (found.length >= limit) return;
      const key = dirKey ? `${dirKey}/${name}` : name;
      // Outside the prefix: neither this entry nor anything below it can match.
      if (!key.startsWith(prefix) && !prefix.startsWith(`${key}/`)) continue;
      const info = await stat(join(base, key)).catch(() => undefined);
      if (!info) continue;
      if (info.isDirectory()) {
        // Everything below sorts after `key` itself; skip the subtree only when the cursor is past all of it.
        if (after !== undefined && compareKeys(key, after) < 0 && !after.startsWith(`${key}/`)) continue;
        await visit(key);
      } else if (info.isFile() && key.startsWith(prefix) && (after === undefined || compareKeys(key, after) > 0)) {
        found.push({ key, size: info.size, lastModified: info.mtimeMs });
      }
    }
  };
  await visit(startDir);
  return found;
}
