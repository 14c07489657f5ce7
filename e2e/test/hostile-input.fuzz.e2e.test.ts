import { fuzzAnswerProblem, fuzzCases, sendRaw, type FuzzKind } from '@imageforge/testing';
import { useImageStack } from './support/image-stack.harness';
import { countAllJobs } from './support/queue-inspector';

/** A seeded slice of what `pnpm fuzz` runs at length; a failure names its seed and case to replay. */
const SEED = 20261202;
const CASES = 2_000;

describe('hostile and malformed requests (seeded fuzz slice)', () => {
  // No keys: every case reaches the parsers and validators instead of stopping at authentication.
  const stack = useImageStack({ apiKeys: [], withoutWorker: true });

  it(`answers ${CASES} random requests below 500 with OpenAI-shaped errors or a closed socket, and queues nothing it rejected`, async () => {
    const port = Number(new URL(stack.url).port);
    const problems: string[] = [];
    const kinds = new Map<FuzzKind, number>();
    let accepted = 0;
    let index = 0;
    for (const fuzzCase of fuzzCases(SEED, CASES)) {
      const answer = await sendRaw(port, fuzzCase.bytes);
      const problem = fuzzAnswerProblem(answer);
      if (problem) problems.push(`seed ${SEED} case ${index} (${fuzzCase.kind}: ${fuzzCase.label}): ${problem}`);
      if (answer !== 'closed' && answer.status === 202) accepted += 1;
      kinds.set(fuzzCase.kind, (kinds.get(fuzzCase.kind) ?? 0) + 1);
      index += 1;
      // Still serving: a case must not leave the server unable to answer the next.
      if (index % 250 === 0) expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
    }

    expect(problems.slice(0, 10)).toEqual([]);
    expect([...kinds.values()].every((count) => count >= CASES / 4)).toBe(true);
    expect(await countAllJobs(stack.redis.target)).toBe(accepted);
  }, 120_000);
});
