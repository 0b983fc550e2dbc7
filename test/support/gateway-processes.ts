// Gateway processes started the way production starts them (`node src/server.ts` with the roles in
// PROCESS_ROLES and everything else from the environment), each a Node process of its own, for tests
// and benchmarks that run several instances against one PostgreSQL and one Redis. Each process gets
// its own DATA_DIR, so nothing an instance keeps on its disk can stand in for the shared stores.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { PortInUseError, launchOnPort } from '../../src/infra/free-port.js';
import { trackForExit, untrackForExit } from '../../src/infra/exit-hook.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STOP_TIMEOUT_MS = 35_000;

export type GatewayRole = 'api' | 'worker';

export interface GatewayProcess {
  readonly name: string;
  readonly role: GatewayRole;
  readonly pid: number;
  /** The API's address (role api), or the worker's /metrics and health listener (role worker). */
  readonly url: string;
  readonly logFile: string;
  /** Resolves when the process has exited, with its exit code or the signal that ended it. */
  readonly exited: Promise<string>;
  /** SIGKILL: no shutdown of any kind, as when a machine or container dies. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), then SIGKILL if it has not exited after 35 s. */
  stop(): Promise<void>;
}

export interface GatewayProcessOptions {
  name: string;
  role: GatewayRole;
  /** The shared environment (test/support/gateway.ts gatewayEnvironment, or the bench's). */
  env: Record<string, string>;
  /** Under it: the process's own DATA_DIR and its log file (stdout and stderr). */
  workDir: string;
  readyTimeoutMs?: number;
}

/**
 * Starts one gateway process and waits until it answers /readyz (database and Redis reachable, its
 * roles started). The API listens on a free port (PORT); a worker serves /readyz on METRICS_PORT.
 */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const dataDir = path.join(options.workDir, options.name);
  await mkdir(dataDir, { recursive: true });
  const logFile = path.join(options.workDir, `${options.name}.log`);
  const { server } = await launchOnPort(undefined, (port) => launch(options, dataDir, logFile, port));
  return server;
}

async function launch(options: GatewayProcessOptions, dataDir: string, logFile: string, port: number): Promise<GatewayProcess> {
  const log = await open(logFile, 'a');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dataDir,
    ...options.env,
    PROCESS_ROLES: options.role,
    DATA_DIR: dataDir,
    ...(options.role === 'api' ? { PORT: String(port) } : { METRICS_PORT: String(port) }),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: ROOT, env, stdio: ['ignore', log.fd, log.fd] });
  await log.close(); // the child holds its own copy of the descriptor
  trackForExit(child, 'SIGKILL');
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      untrackForExit(child);
      resolve(signal ?? `exit ${code}`);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const proc: GatewayProcess = {
    name: options.name,
    role: options.role,
    pid: child.pid!,
    url,
    logFile,
    exited,
    kill: () => signalled(child, exited, 'SIGKILL'),
    stop: async () => {
      const force = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      try {
        await signalled(child, exited, 'SIGTERM');
      } finally {
        clearTimeout(force);
      }
    },
  };
  try {
    await untilReady(url, exited, options.readyTimeoutMs ?? 90_000);
    return proc;
  } catch (error) {
    await proc.kill();
    const output = await readFile(logFile, 'utf8').catch(() => '');
    if (/EADDRINUSE/.test(output)) throw new PortInUseError(`port ${port} was taken`);
    throw new Error(`${options.name} (${options.role}) did not become ready: ${(error as Error).message}\n${output.slice(-3000)}`);
  }
}

function signalled(child: ChildProcess, exited: Promise<string>, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  return exited.then(() => undefined);
}

async function untilReady(url: string, exited: Promise<string>, timeoutMs: number): Promise<void> {
  let exit: string | undefined;
  void exited.then((how) => (exit = how));
  const deadline = Date.now() + timeoutMs;
  while (exit === undefined) {
    if (Date.now() > deadline) throw new Error(`no ready answer within ${timeoutMs} ms`);
    const status = await request(`${url}/readyz`, { headersTimeout: 5_000, bodyTimeout: 5_000 }).then(
      async (response) => {
        await response.body.dump();
        return response.statusCode;
      },
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the process ended (${exit}) before it was ready`);
}

/** Several gateway processes that stop together, whatever happened to each. */
export class GatewayProcesses {
  private readonly all: GatewayProcess[] = [];

  constructor(
    private readonly env: Record<string, string>,
    private readonly workDir: string,
  ) {}

  async start(name: string, role: GatewayRole): Promise<GatewayProcess> {
    const proc = await startGatewayProcess({ name, role, env: this.env, workDir: this.workDir });
    this.all.push(proc);
    return proc;
  }

  /** Stops every process still running (gracefully, so each closes its connections), in parallel. */
  async stopAll(): Promise<void> {
    await Promise.allSettled(this.all.map((p) => p.stop()));
  }
}
