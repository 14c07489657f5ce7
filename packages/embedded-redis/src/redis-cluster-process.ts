import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, isPortFree } from './free-port';
import { RedisServerProcess } from './redis-server-process';

export interface RedisClusterOptions {
  /** Number of master nodes (no replicas). `redis-cli --cluster create` needs at least 3. Default 3. */
  masters?: number;
  /** Give up if the cluster does not serve all 16384 slots this long after `start` was called. Default 30 s. */
  startTimeoutMs?: number;
}

export interface RedisClusterNodeAddress {
  host: string;
  port: number;
}

/** Redis fixes each node's cluster bus at its port + 10000 unless `cluster-port` says otherwise. */
const BUS_PORT_OFFSET = 10_000;
const MAX_PORT = 65_535;
const SLOT_COUNT = 16_384;
const NODE_START_ATTEMPTS = 3;

/**
 * A Redis Cluster of redis-server children on loopback, masters only, for tests
 * that need real MOVED redirections and cross-slot errors. Each node is a
 * {@link RedisServerProcess} in `servers`, so a test can stop one to simulate a
 * node failure.
 */
export class RedisClusterProcess {
  private stopped = false;

  private constructor(
    /** One per master, in `nodes` order. */
    readonly servers: readonly RedisServerProcess[],
    /** Temp directory holding every node's `nodes-<port>.conf`; deleted by `stop`. */
    readonly dir: string,
  ) {}

  get nodes(): RedisClusterNodeAddress[] {
    return this.servers.map((server) => ({ host: server.host, port: server.port }));
  }

  /** `127.0.0.1:p1,127.0.0.1:p2,…`, the format of `REDIS_CLUSTER_NODES`. */
  get nodesSpec(): string {
    return this.nodes.map(({ host, port }) => `${host}:${port}`).join(',');
  }

  static async start(options: RedisClusterOptions = {}): Promise<RedisClusterProcess> {
    const masters = options.masters ?? 3;
    if (!Number.isInteger(masters) || masters < 3) throw new Error(`a Redis Cluster needs at least 3 masters, got ${masters}`);
    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    const dir = await mkdtemp(join(tmpdir(), 'redis-cluster-'));
    const servers: RedisServerProcess[] = [];
    try {
      const taken = new Set<number>();
      for (let i = 0; i < masters; i++) {
        const server = await startNode(dir, taken, deadline);
        servers.push(server);
        taken.add(server.port).add(server.port + BUS_PORT_OFFSET);
      }
      const addresses = servers.map((server) => `${server.host}:${server.port}`);
      await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], remaining(deadline));
      await waitForClusterOk(servers, deadline);
    } catch (error) {
      await Promise.all(servers.map((server) => server.stop()));
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return new RedisClusterProcess(servers, dir);
  }

  /** Stops every node still running and deletes the temp directory. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.servers.map((server) => server.stop()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Starts one cluster node on a port whose bus port is free too. The ports are only
 * probed, not held, so another process can take them before redis-server binds;
 * hence the retries with fresh ports.
 */
async function startNode(dir: string, taken: ReadonlySet<number>, deadline: number): Promise<RedisServerProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await pickClusterPort(taken);
    try {
      return await RedisServerProcess.start({
        port,
        dataDir: dir,
        startTimeoutMs: remaining(deadline),
        extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '5000'],
      });
    } catch (error) {
      if (attempt >= NODE_START_ATTEMPTS || !/address already in use/i.test(String(error))) throw error;
    }
  }
}

async function pickClusterPort(taken: ReadonlySet<number>): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await findFreePort();
    const bus = port + BUS_PORT_OFFSET;
    // Ephemeral ports above 55535 have no valid bus port; redis-server would refuse to start.
    if (bus > MAX_PORT || taken.has(port) || taken.has(bus)) continue;
    if (await isPortFree(bus)) return port;
  }
  throw new Error('no free loopback port p with p + 10000 free as well');
}

/**
 * `redis-cli --cluster create` returns once the nodes agree on the slot map, but each
 * node still reports `cluster_state:fail` for a while (a master waits ~2 s after boot
 * before declaring itself ok), and clients get CLUSTERDOWN until then.
 */
async function waitForClusterOk(servers: readonly RedisServerProcess[], deadline: number): Promise<void> {
  let last = '';
  for (;;) {
    const infos = await Promise.all(
      servers.map((server) => command(server.host, server.port, ['CLUSTER', 'INFO']).catch((error: Error) => error.message)),
    );
    const ready = infos.every(
      (info) =>
        field(info, 'cluster_state') === 'ok' &&
        field(info, 'cluster_slots_assigned') === String(SLOT_COUNT) &&
        field(info, 'cluster_known_nodes') === String(servers.length),
    );
    if (ready) return;
    last = infos.map((info, i) => `${servers[i]?.port}: ${info.trim().split(/\r?\n/).slice(0, 4).join(' ')}`).join('\n');
    if (Date.now() > deadline) throw new Error(`Redis Cluster not ready before the start timeout:\n${last}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(\\S*)`, 'm').exec(info)?.[1];
}

function remaining(deadline: number): number {
  return Math.max(deadline - Date.now(), 1);
}

function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const reason = error.killed ? `timed out after ${timeoutMs} ms` : error.message;
      // redis-cli colours its output even when it is not a terminal.
      const output = `${stdout}${stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
      reject(new Error(`${file} ${args.join(' ')} failed: ${reason}\n${output}`));
    });
  });
}

/**
 * Sends one command over a fresh connection and resolves with a simple, integer or
 * bulk string reply; enough RESP for `CLUSTER INFO` without a client dependency.
 */
function command(host: string, port: number, args: readonly string[], timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffer = Buffer.alloc(0);
    const finish = (error: Error | undefined, reply?: string) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(reply ?? '');
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('error', (error) => finish(error));
    socket.once('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`);
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const lineEnd = buffer.indexOf('\r\n');
      if (lineEnd < 0) return;
      const type = String.fromCharCode(buffer[0] ?? 0);
      const line = buffer.subarray(1, lineEnd).toString();
      if (type === '-') return finish(new Error(line));
      if (type === '+' || type === ':') return finish(undefined, line);
      if (type !== '$') return finish(new Error(`unsupported RESP reply type ${JSON.stringify(type)}`));
      const length = Number(line);
      if (length < 0) return finish(undefined, '');
      const start = lineEnd + 2;
      if (buffer.length >= start + length + 2) finish(undefined, buffer.subarray(start, start + length).toString());
    });
  });
}
