// A throw-away PostgreSQL cluster for tests and benchmarks, never for production: it trusts every
// local connection and, by default, skips fsync. It uses the server binaries of the Debian
// `postgresql` package, which are not on the PATH there (only under /usr/lib/postgresql/<v>/bin).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chown, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { PortInUseError, launchOnPort } from '../../src/infra/free-port.js';
import { trackForExit, untrackForExit } from '../../src/infra/exit-hook.js';

export interface PostgresServerOptions {
  /** Data directory; initialised with initdb unless it already holds a cluster. */
  dir: string;
  /** A free port when omitted. */
  port?: number;
  /** Default false: tests do not need crash safety, and fsync dominates their run time. */
  fsync?: boolean;
  /** Default 200: test files run in parallel against one cluster, each with its own pool. */
  maxConnections?: number;
  /** Default 30 s. */
  startTimeoutMs?: number;
}

export interface PostgresServer {
  /** Superuser URL of the `postgres` database. */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Fast shutdown (SIGINT: roll back open transactions, disconnect) and wait for exit. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const OUTPUT_LINES_KEPT = 30;
const STOP_TIMEOUT_MS = 15_000;
const DEBIAN_BIN_ROOT = '/usr/lib/postgresql';
// sun_path holds 108 bytes; the socket file name is ".s.PGSQL.<port>" plus a lock file suffix.
const MAX_SOCKET_DIR_BYTES = 107 - '/.s.PGSQL.65535.lock'.length;

const execFileAsync = promisify(execFile);

export async function startPostgresServer(opts: PostgresServerOptions): Promise<PostgresServer> {
  const binDir = await findServerBinDir();
  const owner = await serverOwner();
  const dir = path.resolve(opts.dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (owner) {
    await chown(dir, owner.uid, owner.gid);
    await checkOwnerCanUse(dir, owner);
  }
  const fsync = opts.fsync ?? false;
  if (!(await exists(path.join(dir, 'PG_VERSION')))) await initdb(binDir, dir, owner, fsync);

  const launchOptions = {
    postgres: path.join(binDir, 'postgres'),
    dir,
    owner,
    fsync,
    maxConnections: opts.maxConnections ?? 200,
    timeoutMs: opts.startTimeoutMs ?? 30_000,
  };
  const { server: child, port } = await launchOnPort(opts.port, (port) => launch({ ...launchOptions, port }), HOST);
  return { url: `postgres://postgres@${HOST}:${port}/postgres`, port, dir, stop: () => terminate(child) };
}

/** Creates database `name` on the server of `adminUrl` and returns the URL of the new database. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

interface Owner {
  uid: number;
  gid: number;
}

interface LaunchOptions {
  postgres: string;
  dir: string;
  port: number;
  owner: Owner | undefined;
  fsync: boolean;
  maxConnections: number;
  timeoutMs: number;
}

interface Child {
  process: ChildProcess;
  exited: Promise<void>;
  alive: boolean;
  output: string[];
}


async function findServerBinDir(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '' && (await exists(path.join(dir, 'initdb'), constants.X_OK)) && (await exists(path.join(dir, 'postgres'), constants.X_OK))) {
      return dir;
    }
  }
  const versions = await readdir(DEBIAN_BIN_ROOT).catch(() => [] as string[]);
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  for (const version of versions) {
    const dir = path.join(DEBIAN_BIN_ROOT, version, 'bin');
    if (await exists(path.join(dir, 'initdb'), constants.X_OK)) return dir;
  }
  throw new Error(
    `PostgreSQL server binaries (initdb, postgres) were found neither on the PATH nor under ${DEBIAN_BIN_ROOT}/<version>/bin. ` +
      'Install the Debian/Ubuntu package "postgresql" (apt-get install postgresql), or set TEST_DATABASE_URL to an existing server.',
  );
}

/** PostgreSQL refuses to run as root, so a root caller runs it as the `postgres` OS user. */
async function serverOwner(): Promise<Owner | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', 'postgres']),
      execFileAsync('id', ['-g', 'postgres']),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new Error(
      'Running as root, PostgreSQL must run as the "postgres" OS user, which does not exist. ' +
        'Install the Debian/Ubuntu package "postgresql" (apt-get install postgresql), which creates it.',
    );
  }
}

async function checkOwnerCanUse(dir: string, owner: Owner): Promise<void> {
  try {
    await execFileAsync('test', ['-w', dir, '-a', '-x', dir], { uid: owner.uid, gid: owner.gid, cwd: '/' });
  } catch {
    throw new Error(
      `The "postgres" OS user cannot use ${dir}: every parent directory must be searchable by it (chmod o+x), ` +
        'e.g. a directory made with mkdtemp is 0700.',
    );
  }
}

async function initdb(binDir: string, dir: string, owner: Owner | undefined, fsync: boolean): Promise<void> {
  const args = ['-D', dir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C'];
  if (!fsync) args.push('--no-sync');
  try {
    // cwd: the postgres user may not be allowed into the caller's working directory (e.g. /root).
    await execFileAsync(path.join(binDir, 'initdb'), args, { cwd: dir, ...owner });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`initdb failed for ${dir}:\n${lastLines(`${stdout}\n${stderr}`.split('\n'))}`);
  }
}

async function launch(o: LaunchOptions): Promise<Child> {
  const socketDir = Buffer.byteLength(o.dir) <= MAX_SOCKET_DIR_BYTES ? o.dir : '';
  const settings: Record<string, string> = {
    listen_addresses: HOST,
    port: String(o.port),
    // Our own socket directory: /var/run/postgresql may be missing or belong to another cluster.
    unix_socket_directories: socketDir,
    max_connections: String(o.maxConnections),
    fsync: o.fsync ? 'on' : 'off',
    synchronous_commit: o.fsync ? 'on' : 'off',
    full_page_writes: o.fsync ? 'on' : 'off',
  };
  const args = ['-D', o.dir, ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])];
  const proc = spawn(o.postgres, args, { cwd: o.dir, stdio: ['ignore', 'pipe', 'pipe'], ...o.owner });
  let markExited!: () => void;
  const exited = new Promise<void>((resolve) => (markExited = resolve));
  const child: Child = { process: proc, exited, alive: true, output: [] };
  const keep = (chunk: Buffer): void => {
    child.output.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''));
    child.output.splice(0, Math.max(0, child.output.length - OUTPUT_LINES_KEPT));
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const done = (): void => {
    child.alive = false;
    untrackForExit(proc);
    markExited();
  };
  proc.once('exit', done);
  proc.once('error', (error) => {
    child.output.push(String(error));
    done();
  });
  trackForExit(proc, 'SIGINT'); // a fast shutdown

  const url = `postgres://postgres@${HOST}:${o.port}/postgres`;
  const deadline = Date.now() + o.timeoutMs;
  while (child.alive) {
    if (await acceptsQueries(url)) return child;
    if (Date.now() > deadline) {
      await terminate(child);
      throw new Error(`postgres on port ${o.port} was not ready within ${o.timeoutMs} ms. Last output:\n${lastLines(child.output)}`);
    }
    await sleep(100);
  }
  const message = `postgres exited before accepting connections (port ${o.port}, dir ${o.dir}). Last output:\n${lastLines(child.output)}`;
  throw child.output.some((line) => /could not bind|address already in use/i.test(line)) ? new PortInUseError(message) : new Error(message);
}

async function acceptsQueries(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => {}); // a refused or reset connection while booting is expected
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function terminate(child: Child): Promise<void> {
  if (!child.alive) return;
  child.process.kill('SIGINT');
  // Immediate shutdown if a fast one hangs; the next start then runs crash recovery.
  const timer = setTimeout(() => child.process.kill('SIGQUIT'), STOP_TIMEOUT_MS);
  await child.exited;
  clearTimeout(timer);
}

async function exists(file: string, mode = constants.F_OK): Promise<boolean> {
  return access(file, mode).then(
    () => true,
    () => false,
  );
}

function lastLines(lines: string[]): string {
  const kept = lines.filter((line) => line.trim() !== '').slice(-OUTPUT_LINES_KEPT);
  return kept.length > 0 ? kept.map((line) => `  ${line}`).join('\n') : '  (no output)';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
