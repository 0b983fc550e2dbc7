// A Redis master, one replica and one sentinel on free loopback ports in a temporary folder, for
// tests of a failover. The sentinel is redis-server in sentinel mode (`redis-server <conf> --sentinel`,
// which Redis documents as the same as `redis-sentinel <conf>`), so the tests need nothing beyond
// redis-server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { trackForExit, untrackForExit } from '../../src/infra/exit-hook.js';
import { PortInUseError, launchOnPort } from '../../src/infra/free-port.js';
import { startRedisServer, type RedisServer } from '../../src/infra/redis-server.js';

export const MASTER_NAME = 'lgsp';

export interface SentinelCluster {
  master: RedisServer;
  replica: RedisServer;
  sentinelPort: number;
  /** The master's port as the sentinel reports it now. */
  masterPort(): Promise<number>;
  /** Waits until the sentinel names `port` the master and that server says it is one. */
  untilMasterIs(port: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startSentinelCluster(options: { downAfterMs?: number; failoverTimeoutMs?: number } = {}): Promise<SentinelCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lgsp-sentinel-'));
  const stops: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true, maxRetries: 3 })];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => undefined);
  };
  try {
    const master = await startRedisServer({ dir: path.join(dir, 'master') });
    stops.push(() => master.kill());
    const replica = await startRedisServer({ dir: path.join(dir, 'replica'), replicaOf: master.port });
    stops.push(() => replica.kill());
    await until(async () => (await info(replica.port, 'replication')).includes('master_link_status:up'), 30_000, 'the replica to sync with the master');

    const { server: sentinel, port: sentinelPort } = await launchOnPort(undefined, (port) =>
      launchSentinel(dir, port, master.port, options.downAfterMs ?? 1_000, options.failoverTimeoutMs ?? 5_000),
    );
    stops.push(() => killed(sentinel));
    // A sentinel fails over only to a replica it knows: it learns them from the master's INFO.
    await until(
      () => withClient(sentinelPort, async (c) => ((await c.call('SENTINEL', 'REPLICAS', MASTER_NAME)) as string[][]).some((r) => fields(r).port === String(replica.port) && fields(r).flags === 'slave')),
      30_000,
      'the sentinel to see the replica',
    );

    const masterPort = () => withClient(sentinelPort, async (c) => Number(((await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as string[])[1]));
    return {
      master,
      replica,
      sentinelPort,
      masterPort,
      async untilMasterIs(port, timeoutMs) {
        await until(async () => (await masterPort()) === port && (await info(port, 'replication')).includes('role:master'), timeoutMs, `the sentinel to promote the server on port ${port}`);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function launchSentinel(dir: string, port: number, masterPort: number, downAfterMs: number, failoverTimeoutMs: number): Promise<ChildProcess> {
  // The sentinel rewrites its configuration file as it learns: it must be a file of its own.
  const conf = path.join(dir, `sentinel-${port}.conf`);
  await writeFile(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${MASTER_NAME} ${downAfterMs}`,
      `sentinel failover-timeout ${MASTER_NAME} ${failoverTimeoutMs}`,
      `sentinel parallel-syncs ${MASTER_NAME} 1`,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [conf, '--sentinel'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  // Not left behind if the test process dies before its cleanup runs.
  trackForExit(child, 'SIGKILL');
  child.once('exit', () => untrackForExit(child));
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  let gone = false;
  child.once('exit', () => (gone = true));
  child.once('error', (e) => ((gone = true), (output += String(e))));
  const deadline = Date.now() + 30_000;
  while (!gone && Date.now() < deadline) {
    if (await withClient(port, async (c) => (await c.ping()) === 'PONG').catch(() => false)) return child;
    await sleep(100);
  }
  if (!gone) await killed(child);
  if (/address already in use/i.test(output)) throw new PortInUseError(output);
  throw new Error(`the sentinel on port ${port} did not start:\n${output}`);
}

function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

/** One command on a short-lived client that neither queues nor retries. */
async function withClient<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

function info(port: number, section: string): Promise<string> {
  return withClient(port, (c) => c.info(section)).catch(() => '');
}

/** SENTINEL REPLICAS answers each replica as a flat list of names and values. */
function fields(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
