// The shipped Grafana dashboard and Prometheus alert rules (docker/grafana, docker/prometheus): the
// rules pass `promtool check rules` and their `promtool test rules` cases, and every metric name the
// dashboard and the rules use is one the gateway's /metrics really serves.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KEYS, startTestGateway, type TestGateway } from '../support/gateway.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RULES = `${ROOT}docker/prometheus/alerts.yml`;
const RULE_TESTS = `${ROOT}docker/prometheus/alerts.test.yml`;
const DASHBOARD = `${ROOT}docker/grafana/lgsp-gateway.json`;
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));

describe.skipIf(!PROMTOOL)('alert rules under promtool (skipped: promtool, Debian package prometheus, is not installed)', () => {
  it('pass promtool check rules', async () => {
    const { stdout } = await run(PROMTOOL!, ['check', 'rules', RULES]);
    expect(stdout).toMatch(/SUCCESS: 9 rules found/);
  });

  it('fire and stay quiet as the promtool test cases say', async () => {
    const { stdout } = await run(PROMTOOL!, ['test', 'rules', RULE_TESTS]);
    expect(stdout).toMatch(/SUCCESS/);
  });
});

describe('the dashboard and the rules against /metrics (pglite)', () => {
  let gw: TestGateway;
  let served: Set<string>;
  let scrape: string;
  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite' });
    scrape = (await gw.call('GET', '/metrics', { key: KEYS.admin })).body as string;
    served = new Set([...scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [name!, `${name}_bucket`, `${name}_count`, `${name}_sum`] : [name!])));
  }, 60_000);
  afterAll(async () => gw?.close());

  const namesIn = (exprs: string[]) => new Set(exprs.flatMap((e) => [...e.matchAll(/\blgsp_[a-z0-9_]+/g)].map((m) => m[0])));

  it('uses only metric names that exist', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const rules = parse(await readFile(RULES, 'utf8')) as { groups: { rules: { expr: string }[] }[] };
    const dashboardNames = namesIn(dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)));
    const ruleNames = namesIn(rules.groups.flatMap((g) => g.rules.map((r) => r.expr)));
    expect(dashboardNames.size).toBeGreaterThan(15);
    expect([...dashboardNames, ...ruleNames].filter((n) => !served.has(n))).toEqual([]);
  });

  it('serves the expiry and lag gauges the alerts need, and the default metrics without a doubled prefix', () => {
    expect(scrape).toMatch(/^lgsp_certificate_expiry_seconds\{role="signing",subject="[^"]+"\} \d/m);
    expect(scrape).toMatch(/^lgsp_crl_next_update_seconds\{issuer="[^"]+"\} -?\d/m);
    expect(served.has('lgsp_oldest_open_message_age_seconds')).toBe(true);
    expect(served.has('lgsp_process_cpu_seconds_total')).toBe(true);
    expect(scrape).not.toContain('lgsp_process_process_');
    expect(scrape).not.toContain('lgsp_process_nodejs_');
  });
});
