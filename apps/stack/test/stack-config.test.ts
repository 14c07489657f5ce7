import { parseStackEnv } from '../src/stack-config';

describe(parseStackEnv.name, () => {
  it('waits longer for a child to stop than the worker waits for its own jobs', () => {
    expect(parseStackEnv({}).SHUTDOWN_TIMEOUT_MS).toBe(45_000);
    expect(parseStackEnv({ WORKER_SHUTDOWN_TIMEOUT_MS: '5000' }).SHUTDOWN_TIMEOUT_MS).toBe(20_000);
    expect(parseStackEnv({ SHUTDOWN_TIMEOUT_MS: '60000' }).SHUTDOWN_TIMEOUT_MS).toBe(60_000);
  });

  it('refuses a launcher deadline that could kill a worker while it hands its jobs back', () => {
    expect(() => parseStackEnv({ SHUTDOWN_TIMEOUT_MS: '30000' })).toThrow(/SHUTDOWN_TIMEOUT_MS: must exceed WORKER_SHUTDOWN_TIMEOUT_MS \(30000\)/);
    expect(() => parseStackEnv({ SHUTDOWN_TIMEOUT_MS: '15000', WORKER_SHUTDOWN_TIMEOUT_MS: '5000' })).toThrow(/SHUTDOWN_TIMEOUT_MS/);
    expect(() => parseStackEnv({ SHUTDOWN_TIMEOUT_MS: '15001', WORKER_SHUTDOWN_TIMEOUT_MS: '5000' })).not.toThrow();
  });

  it('takes an external Redis or a Cluster, never both', () => {
    expect(parseStackEnv({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000' }).REDIS_CLUSTER_NODES).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7000 },
    ]);
    expect(() => parseStackEnv({ REDIS_URL: 'redis://x:6379', REDIS_CLUSTER_NODES: 'x:7000' })).toThrow(/not both/);
    expect(parseStackEnv({}).REDIS_URL).toBeUndefined();
  });
});
