import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseApiEnv, startApi } from '@imageforge/api';
import { fuzzAnswerProblem, fuzzCases, RedisServerProcess, sendRaw } from '@imageforge/testing';

/**
 * `pnpm fuzz [--cases=N] [--seed=S]`: the hostile-input fuzz at length against a real API on
 * a real Redis. Exits 1 on the first problem, naming the seed and case so the test can replay it.
 */
async function main(): Promise<void> {
  const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
  const cases = arg('cases', 50_000);
  const seed = arg('seed', Date.now() % 2 ** 31);
  const dir = mkdtempSync(join(tmpdir(), 'imageforge-fuzz-'));
  const redis = await RedisServerProcess.start();
  const api = await startApi(
    parseApiEnv({ PORT: '0', REDIS_URL: redis.url, STORAGE_LOCAL_DIR: join(dir, 'objects'), STORAGE_SIGNING_SECRET: 'fuzz-signing-secret-0123', LOG_LEVEL: 'silent' }),
    pino({ level: 'silent' }),
  );
  const port = Number(new URL(api.url).port);
  const started = Date.now();
  let failures = 0;
  try {
    let index = 0;
    for (const fuzzCase of fuzzCases(seed, cases)) {
      const problem = fuzzAnswerProblem(await sendRaw(port, fuzzCase.bytes));
      if (problem) {
        failures += 1;
        console.error(`seed ${seed} case ${index} (${fuzzCase.kind}: ${fuzzCase.label}): ${problem}`);
        if (failures >= 10) break;
      }
      index += 1;
      if (index % 5_000 === 0) console.log(`${index} cases, ${failures} problems, ${Math.round(index / ((Date.now() - started) / 1000))} cases/s`);
    }
    console.log(`fuzz: ${index} cases from seed ${seed} in ${((Date.now() - started) / 1000).toFixed(1)} s, ${failures} problems`);
  } finally {
    await api.close(1_000);
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(failures === 0 ? 0 : 1);
}

void main();
