/**
 * Where a key's counters live: all under one hash tag per owner, `<prefix>:{limits:<owner>}:…`,
 * so every script of one key touches a single Cluster slot while different keys spread over shards.
 */
export function limitKeys(prefix: string, owner: string) {
  const base = `${prefix}:{limits:${owner}}`;
  return {
    requests: `${base}:requests`,
    images: `${base}:images`,
    dailyImages: `${base}:daily-images`,
    /** Sorted set of the key's queued or running job ids, scored by when their slot lapses unreleased. */
    jobSlots: `${base}:job-slots`,
  };
}
