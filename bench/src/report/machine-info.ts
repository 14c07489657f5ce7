import { cpus, totalmem, release } from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  node: string;
  redis: string;
}

/** Describes the machine a run measured, so numbers are never compared across machines by accident. */
export function describeMachine(redisVersion: string): MachineInfo {
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    memoryBytes: totalmem(),
    kernel: `Linux ${release()}`,
    node: process.version,
    redis: redisVersion,
  };
}
