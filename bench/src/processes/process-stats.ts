import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Cumulative CPU time and current memory of a process, read from /proc. */
export interface ProcessReading {
  at: number;
  cpuSeconds: number;
  rssBytes: number;
}

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Reads utime+stime from /proc/<pid>/stat and VmRSS from /proc/<pid>/status; undefined once the process is gone. */
export function readProcess(pid: number): ProcessReading | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces, so fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
    return { at: Date.now(), cpuSeconds: (utime + stime) / ticksPerSecond(), rssBytes: rssKb * 1024 };
  } catch {
    return undefined;
  }
}

/** Samples processes on an interval so CPU share and peak RSS can be read for any stretch afterwards. */
export class ProcessSampler {
  private readonly samples = new Map<string, ProcessReading[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pids: Record<string, number>, private readonly intervalMs = 250) {}

  /** Points `name` at another process from now on (e.g. a replacement worker); usage already read for earlier runs is unaffected. */
  track(name: string, pid: number): void {
    this.pids[name] = pid;
    this.samples.set(name, []);
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }

  /** CPU share (100 = one core), last RSS and peak RSS of `name` between two epoch times. */
  usage(name: string, from: number, to: number): { cpuPercent: number; rssBytes: number; peakRssBytes: number } | undefined {
    const inside = (this.samples.get(name) ?? []).filter((sample) => sample.at >= from - this.intervalMs && sample.at <= to + this.intervalMs);
    const first = inside[0];
    const last = inside[inside.length - 1];
    if (!first || !last || last.at <= first.at) return undefined;
    return {
      cpuPercent: ((last.cpuSeconds - first.cpuSeconds) / ((last.at - first.at) / 1000)) * 100,
      rssBytes: last.rssBytes,
      peakRssBytes: Math.max(...inside.map((sample) => sample.rssBytes)),
    };
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      const reading = readProcess(pid);
      if (!reading) continue;
      const list = this.samples.get(name) ?? [];
      // Bounded: at 4 samples/s this keeps well over ten minutes of history.
      if (list.length < 10_000) list.push(reading);
      this.samples.set(name, list);
    }
  }
}
