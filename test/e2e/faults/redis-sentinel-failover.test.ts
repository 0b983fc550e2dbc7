// Redis reached through Sentinel (REDIS_SENTINELS): a master, a replica and a sentinel of their own;
// the gateway is given only the sentinels (a dead one first, then the live one) and the master's name.
// Dossiers accepted before the master is killed (SIGKILL), while the sentinel promotes the replica,
// and after it are all delivered to the portal once; the API and the workers end up on the new master.
// Every wait is bounded and generous; nothing asserts a duration.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/infra/free-port.js';
import { allDelivered, countAtPortal, Traffic } from '../../support/fault-harness.js';
import { eventually, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { MASTER_NAME, startSentinelCluster, type SentinelCluster } from '../../support/redis-sentinel.js';

const DOSSIERS_PER_PHASE = 6;
const DELIVERY_TIMEOUT_MS = 60_000;

describe('Redis through Sentinel, the master killed under a running gateway', () => {
  let cluster: SentinelCluster;
  let gw: TestGateway;
  let db: pg.Pool;

  beforeAll(async () => {
    cluster = await startSentinelCluster({ downAfterMs: 1_000, failoverTimeoutMs: 5_000 });
    const nobody = await freePort();
    gw = await startTestGateway({
      engine: 'postgres',
      env: {
        REDIS_URL: '',
        REDIS_SENTINELS: `127.0.0.1:${nobody},127.0.0.1:${cluster.sentinelPort}`,
        REDIS_SENTINEL_MASTER: MASTER_NAME,
        REDIS_COMMAND_TIMEOUT_MS: '1000',
      },
    });
    db = new pg.Pool({ connectionString: gw.databaseUrl, max: 2 });
  }, 90_000);
  afterAll(async () => {
    await db?.end();
    await gw?.close();
    await cluster?.stop();
  });

  const offer = async (prefix: string) => {
    const traffic = new Traffic({ url: gw.url, dossiers: DOSSIERS_PER_PHASE, concurrency: 2, prefix, retryForMs: 60_000 });
    await traffic.done;
    return traffic;
  };

  it('delivers every dossier accepted before, during and after the failover, once', { timeout: 150_000 }, async () => {
    const oldMaster = cluster.master.port;
    expect(await cluster.masterPort()).toBe(oldMaster);

    const before = await offer('SENTINEL-BEFORE');
    expect(before.accepted.size, JSON.stringify(before.answers)).toBe(DOSSIERS_PER_PHASE * 2);
    expect(await allDelivered(gw.sim, before, DELIVERY_TIMEOUT_MS), 'delivered before the failover').toBe(true);

    await cluster.master.kill();
    // Offered at once, while the sentinel has yet to notice and promote: retried on 503 like a partner would.
    const during = await offer('SENTINEL-DURING');
    await cluster.untilMasterIs(cluster.replica.port, 60_000);
    const after = await offer('SENTINEL-AFTER');

    for (const [phase, traffic] of Object.entries({ during, after })) {
      expect(traffic.accepted.size, `${phase}: ${JSON.stringify(traffic.answers)}`).toBe(DOSSIERS_PER_PHASE * 2);
      // Nothing but acceptances and "unavailable, retry": no 500 while Redis switches.
      expect(Object.keys(traffic.answers).filter((a) => a !== '202' && a !== '503'), `${phase}: ${JSON.stringify(traffic.answers)}`).toEqual([]);
      expect(await allDelivered(gw.sim, traffic, DELIVERY_TIMEOUT_MS), `${phase}: delivered`).toBe(true);
    }
    for (const traffic of [before, during, after]) {
      expect(countAtPortal(gw.sim, traffic)).toMatchObject({ accepted: DOSSIERS_PER_PHASE * 2, delivered: DOSSIERS_PER_PHASE * 2, duplicates: 0, lost: 0 });
    }
    // The portal answers before the outcome is recorded: every message ends delivered in the database.
    const states = await eventually(async () => {
      const { rows } = await db.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM messages GROUP BY state');
      return rows.length === 1 && rows[0]!.state === 'delivered' ? rows : undefined;
    }, 'every message recorded as delivered', 30_000, 100);
    expect(states).toEqual([{ state: 'delivered', n: DOSSIERS_PER_PHASE * 2 * 3 }]);

    // The old master is dead, so the deliveries above were queued on the promoted replica; the API's
    // own fail-fast connection found it too: readiness checks Redis through it.
    const ready = await eventually(async () => {
      const answer = await gw.call('GET', '/readyz');
      return answer.status === 200 ? answer.body : undefined;
    }, 'the API ready again on the new master', 30_000, 200);
    expect(ready).toMatchObject({ checks: { redis: 'ok' } });
  });
});
