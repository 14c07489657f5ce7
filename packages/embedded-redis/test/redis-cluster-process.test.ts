import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Cluster } from 'ioredis';
import { isProcessAlive, RedisClusterProcess } from '../src';


/** Cluster-mode redis-server children of this jest worker, read from /proc (Linux only). */
function clusterNodeChildren(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
        return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--cluster-enabled');
      } catch {
        return false; // exited while we looked
      }
    })
    .map(Number);
}

describe('RedisClusterProcess', () => {
  let cluster: RedisClusterProcess | undefined;
  let client: Cluster | undefined;

  afterEach(async () => {
    await client?.quit().catch(() => undefined);
    await cluster?.stop();
    client = undefined;
    cluster = undefined;
  });

  it('serves keys from every master through ioredis and stops every node', async () => {
    cluster = await RedisClusterProcess.start();
    expect(cluster.nodes).toHaveLength(3);
    expect(cluster.nodesSpec).toBe(cluster.nodes.map(({ port }) => `127.0.0.1:${port}`).join(','));
    client = new Cluster(cluster.nodes);

    // Pick one hash-tagged key per master, by the slot map the cluster itself reports.
    const ranges = await client.cluster('SLOTS');
    const ownerPort = (slot: number) => ranges.find(([start, end]) => slot >= start && slot <= end)?.[2]?.[1];
    const keyByPort = new Map<number, string>();
    for (const tag of 'abcdefghijklmnopqrstuvwxyz') {
      const key = `{${tag}}:value`;
      const port = ownerPort(Number(await client.cluster('KEYSLOT', key)));
      if (port !== undefined && !keyByPort.has(port)) keyByPort.set(port, key);
    }
    expect([...keyByPort.keys()].sort()).toEqual(cluster.nodes.map(({ port }) => port).sort());

    for (const [port, key] of keyByPort) await client.set(key, `on ${port}`);
    for (const [port, key] of keyByPort) {
      expect(await client.get(key)).toBe(`on ${port}`);
      // Asked directly, only the owning master holds the key.
      const node = client.nodes('master').find((candidate) => candidate.options.port === port);
      expect(await node?.exists(key)).toBe(1);
    }

    await client.quit();
    client = undefined;
    const pids = cluster.servers.map((server) => server.pid).filter((pid): pid is number => pid !== undefined);
    expect(pids).toHaveLength(3);
    const { dir } = cluster;
    await cluster.stop();
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  (process.platform === 'linux' ? it : it.skip)('stops the nodes it started when start fails midway', async () => {
    // Nodes boot in milliseconds but redis-cli needs at least a second to join them, so this fails after all three are up.
    await expect(RedisClusterProcess.start({ startTimeoutMs: 500 })).rejects.toThrow();
    expect(clusterNodeChildren()).toEqual([]);
  });

  it('refuses fewer than three masters', async () => {
    await expect(RedisClusterProcess.start({ masters: 2 })).rejects.toThrow(/at least 3 masters/);
  });
});
