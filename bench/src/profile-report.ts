import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { summarizeCpuProfile } from './report/cpu-profile-summary';
import { formatMarkdownTable, formatNumber } from './report/markdown-table';

/**
 * Prints where CPU time went in the profiles `pnpm bench --cpu-prof` wrote: self time
 * per package and the hottest functions of each process's main thread.
 */
const root = resolve(__dirname, '../..');
const dir = process.argv[2] ? resolve(process.argv[2]) : join(root, 'bench/results/profiles');

function profilesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? profilesUnder(path) : name.endsWith('.cpuprofile') ? [path] : [];
  });
}

const shareColumns = [
  { header: 'self ms', align: 'right' as const, render: (row: { ms: number }) => formatNumber(row.ms, 0) },
  { header: '%', align: 'right' as const, render: (row: { percent: number }) => formatNumber(row.percent, 1) },
];

for (const path of profilesUnder(dir)) {
  const summary = summarizeCpuProfile(path);
  // Loader threads (tsx's module hooks) are idle after start-up; only busy threads are worth reading.
  if (summary.busyMs < 500) continue;
  console.log(`\n## ${relative(root, path)}: ${formatNumber(summary.busyMs, 0)} ms busy, ${formatNumber(summary.idleMs, 0)} ms idle\n`);
  console.log(formatMarkdownTable([{ header: 'area', render: (row: { name: string }) => row.name }, ...shareColumns], summary.byArea));
  console.log();
  console.log(formatMarkdownTable([{ header: 'function', render: (row: { name: string }) => row.name }, ...shareColumns], summary.byFunction));
}
