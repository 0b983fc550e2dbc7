// The production settings the container files promise, read from the files themselves (no container
// engine is needed to check them): the image and the compose stack keep what the operations section
// of the README tells operators they can rely on.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PartnerRegistry } from '../../src/partners/registry.js';

const ROOT = new URL('../../', import.meta.url);
const read = (file: string) => readFile(fileURLToPath(new URL(file, ROOT)), 'utf8');

interface Service {
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
  command?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  image?: string;
  build?: unknown;
}

describe('Dockerfile', () => {
  let dockerfile: string;
  beforeAll(async () => {
    dockerfile = await read('Dockerfile');
  });

  it('builds in one stage and runs from another, both on the Node.js LTS (24)', () => {
    const stages = [...dockerfile.matchAll(/^FROM (\S+) AS (\w+)$/gm)].map((m) => [m[1], m[2]]);
    expect(stages).toEqual([
      ['node:24-bookworm-slim', 'build'],
      ['node:24-bookworm-slim', 'runtime'],
    ]);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
  });

  it('runs as the unprivileged node user and checks its own health', () => {
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime.indexOf('USER node')).toBeLessThan(runtime.indexOf('CMD ["node", "dist/src/server.js"]'));
    expect(runtime).toMatch(/^HEALTHCHECK .*\n\s+CMD .*\/healthz/m);
  });
});

describe('docker/compose.yaml', () => {
  let services: Record<string, Service>;
  beforeAll(async () => {
    // merge: true resolves the `<<: *anchor` keys the way Compose does.
    services = (parse(await read('docker/compose.yaml'), { merge: true }) as { services: Record<string, Service> }).services;
  });

  it('runs two API replicas and a separate worker, in production mode against PostgreSQL and Redis', () => {
    expect(services.gateway!.environment!.PROCESS_ROLES).toBe('api');
    expect(services.gateway!.deploy!.replicas).toBe(2);
    expect(services.worker!.environment!.PROCESS_ROLES).toBe('worker');
    for (const name of ['gateway', 'worker']) {
      const env = services[name]!.environment!;
      expect(env.LGSP_MODE).toBe('production');
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/lgsp:.*@postgres:5432\/lgsp$/);
      expect(env.REDIS_URL).toBe('redis://redis:6379');
      expect(services[name]!.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      // Long enough for the 30-second graceful drain of src/server.ts.
      expect(services[name]!.stop_grace_period).toBe('40s');
    }
  });

  it('runs Redis with AOF and noeviction, on a volume', () => {
    const redis = services.redis!;
    expect(redis.command).toEqual(['redis-server', '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction']);
    expect(redis.volumes).toEqual(['redis-data:/data']);
  });

  it('health-checks every service, the worker on its METRICS_PORT', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'gateway') continue; // the image's own HEALTHCHECK
      expect(service.healthcheck?.test, name).toBeDefined();
      expect(service.healthcheck?.disable, name).toBeUndefined();
    }
    expect(services.worker!.healthcheck!.test!.join(' ')).toContain(`:${services.worker!.environment!.METRICS_PORT}/healthz`);
  });

  it('includes PostgreSQL and the national portal simulator', () => {
    expect(services.postgres!.image).toMatch(/^postgres:\d+$/);
    expect(services['national-portal-simulator']!.environment!.PROCESS_ROLES).toBe('simulators');
  });
});

describe('docker/compose.yaml as the docker README documents it', () => {
  let services: Record<string, Service>;
  beforeAll(async () => {
    services = (parse(await read('docker/compose.yaml'), { merge: true }) as { services: Record<string, Service> }).services;
  });

  it('gives the portal simulator the account the gateway logs in with', () => {
    const simulator = services['national-portal-simulator']!.environment!;
    for (const name of ['gateway', 'worker']) {
      const env = services[name]!.environment!;
      expect(simulator.NATIONAL_PORTAL_USERNAME).toBe(env.NATIONAL_PORTAL_USERNAME);
      expect(simulator.NATIONAL_PORTAL_PASSWORD).toBe(env.NATIONAL_PORTAL_PASSWORD);
    }
    expect(simulator.NATIONAL_PORTAL_USERNAME).toBe('${NATIONAL_PORTAL_USERNAME:-}');
  });

  it('ships docker/config/ with an example registry that passes the registry check', async () => {
    expect(services.gateway!.volumes).toContain('./config:/config:ro');
    const file = fileURLToPath(new URL('docker/config/partners.example.json', ROOT));
    const registry = await PartnerRegistry.fromFile(file, { defaults: { agencyCode: 'madonvi', username: 'tinh', password: 'secret' }, env: {}, allowAnyAgency: false });
    expect(registry.all().flatMap((p) => [...p.roles]).sort()).toEqual(['admin', 'auditor', 'one-stop']);
    expect(await read('docker/config/README.md')).toContain('cp docker/config/partners.example.json docker/config/partners.json');
  });

  it('gives the grace period both READMEs state', async () => {
    const seconds = Number(/^(\d+)s$/.exec(services.gateway!.stop_grace_period!)![1]);
    expect(await read('docker/README.md')).toContain(`Every gateway container gets ${seconds} s to stop`);
    expect(await read('README.md')).toContain(`Give each gateway container at least ${seconds} s to stop`);
  });

  const compose = (() => {
    try {
      execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!compose)(compose ? 'is accepted by `docker compose config`' : '`docker compose config`: SKIPPED, no docker with the compose plugin here', () => {
    const file = fileURLToPath(new URL('docker/compose.yaml', ROOT));
    expect(() => execFileSync('docker', ['compose', '-f', file, 'config', '--quiet'], { stdio: 'pipe' })).not.toThrow();
  });
});
