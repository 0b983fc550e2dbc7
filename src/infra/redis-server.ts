// Runs a private redis-server as a child process: the embedded gateway uses it when REDIS_URL is
// unset, and tests use it to get a Redis they may stop and restart. The settings are the ones
// BullMQ needs to be trustworthy: noeviction (an evicted job key is a lost job) and, by default,
// an append-only file so queued jobs survive a restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { PortInUseError, launchOnPort } from './free-port.js';
import { trackForExit, untrackForExit } from './exit-hook.js';

export interface RedisServerLogger {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
}

export interface RedisServerOptions {
  /** Working directory: the append-only file lives here. Created when missing. */
  dir: string;
  /** Fixed port, e.g. to restart on the port clients already know; a free one when omitted. */
  port?: number;
  /** `--appendonly yes` (default) keeps queued jobs across restarts. */
  appendOnly?: boolean;
  logger?: RedisServerLogger;
  /** How long to wait for PONG; loading a large append-only file takes a while. Default 30 s. */
  startTimeoutMs?: number;
  /** Start as a replica of the redis-server on this loopback port (tests of a Sentinel failover). */
  replicaOf?: number;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** SIGTERM, then wait for exit: Redis flushes the append-only file on the way out. */
  stop(): Promise<void>;
  /** stop() then start again on the same dir and port, so existing URLs stay valid. */
  restart(): Promise<void>;
  /** SIGKILL, then wait for exit: a crash, nothing flushed. */
  kill(): Promise<void>;
}

const HOST = '127.0.0.1';
const OUTPUT_LINES_KEPT = 30;
const STOP_TIMEOUT_MS = 10_000;

export const REDIS_SERVER_MISSING_MESSAGE =
  'redis-server was not found on the PATH. Install the Debian/Ubuntu package "redis-server" ' +
  '(apt-get install redis-server), or set REDIS_URL to an existing Redis ' +
  '(configured with maxmemory-policy noeviction and appendonly yes).';

export async function startRedisServer(opts: RedisServerOptions): Promise<RedisServer> {
  const binary = await findOnPath('redis-server');
  if (binary === undefined) throw new Error(REDIS_SERVER_MISSING_MESSAGE);
  const dir = path.resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  const launchOptions = {
    binary,
    dir,
    appendOnly: opts.appendOnly ?? true,
    timeoutMs: opts.startTimeoutMs ?? 30_000,
    logger: opts.logger,
    replicaOf: opts.replicaOf,
  };

  const started = await launchOnPort(opts.port, (port) => launch({ ...launchOptions, port }), HOST);
  const port = started.port;
  let child = started.server;
  const stop = (): Promise<void> => terminate(child);
  return {
    url: `redis://${HOST}:${port}`,
    port,
    dir,
    stop,
    async restart() {
      await stop();
      child = await launch({ ...launchOptions, port });
    },
    async kill() {
      if (!child.alive) return;
      child.stopping = true;
      child.process.kill('SIGKILL');
      await child.exited;
    },
  };
}

interface LaunchOptions {
  binary: string;
  dir: string;
  port: number;
  appendOnly: boolean;
  timeoutMs: number;
  logger: RedisServerLogger | undefined;
  replicaOf: number | undefined;
}

interface Child {
  process: ChildProcess;
  exited: Promise<void>;
  alive: boolean;
  stopping: boolean;
  output: string[];
}

async function launch(o: LaunchOptions): Promise<Child> {
  const args = [
    '--bind', HOST,
    '--port', String(o.port),
    '--dir', o.dir,
    '--appendonly', o.appendOnly ? 'yes' : 'no',
    '--maxmemory-policy', 'noeviction',
    // No RDB snapshots: the append-only file is the persistence, and snapshots of a test Redis
    // would only cost disk writes.
    '--save', '',
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    ...(o.replicaOf === undefined ? [] : ['--replicaof', HOST, String(o.replicaOf)]),
  ];
  const proc = spawn(o.binary, args, { cwd: o.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let markExited!: () => void;
  const exited = new Promise<void>((resolve) => (markExited = resolve));
  const child: Child = { process: proc, exited, alive: true, stopping: false, output: [] };
  const keep = (chunk: Buffer): void => {
    child.output.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''));
    child.output.splice(0, Math.max(0, child.output.length - OUTPUT_LINES_KEPT));
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const done = (detail: object): void => {
    if (!child.alive) return;
    child.alive = false;
    untrackForExit(proc);
    if (!child.stopping) o.logger?.warn({ ...detail, port: o.port, output: child.output.slice(-5) }, 'redis-server exited');
    markExited();
  };
  proc.once('exit', (code, signal) => done({ code, signal }));
  proc.once('error', (error) => {
    child.output.push(String(error));
    done({ error: error.message });
  });
  trackForExit(proc, 'SIGTERM');

  const deadline = Date.now() + o.timeoutMs;
  while (child.alive) {
    if (await answersPing(o.port)) {
      o.logger?.info({ port: o.port, pid: proc.pid, dir: o.dir, appendOnly: o.appendOnly }, 'redis-server started');
      return child;
    }
    if (Date.now() > deadline) {
      await terminate(child);
      throw new Error(`redis-server on port ${o.port} did not answer PING within ${o.timeoutMs} ms. Last output:\n${tail(child)}`);
    }
    await sleep(50);
  }
  const message = `redis-server exited before answering PING (port ${o.port}, dir ${o.dir}). Last output:\n${tail(child)}`;
  throw child.output.some((line) => /address already in use/i.test(line)) ? new PortInUseError(message) : new Error(message);
}

async function terminate(child: Child): Promise<void> {
  if (!child.alive) return;
  child.stopping = true;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await child.exited;
  clearTimeout(timer);
}

/** One raw PING: no client library, so no reconnect loops or error events while Redis boots. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    // While it loads the append-only file Redis answers -LOADING, which is not ready yet.
    socket.on('data', (data) => {
      reply += data.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  return undefined;
}

function tail(child: Child): string {
  return child.output.length > 0 ? child.output.map((line) => `  ${line}`).join('\n') : '  (no output)';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
