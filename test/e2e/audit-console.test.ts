// The auditors' console in a real browser (Debian's chromium, driven by playwright-core): it finds a
// dossier's records, checks each one with WebCrypto and says so; a leaf rewritten in the database is
// shown as NOT VALID, and so is every record under a pinned key the log was not signed with.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateNoteKey } from '../../src/audit/note.js';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { JWS_HEADER, signDetachedJws } from '../../src/crypto/jws.js';
import { sampleDossier } from '../support/dossiers.js';
import { KEYS, TEST_LOG_ORIGIN, eventually, startTestGateway, type TestGateway } from '../support/gateway.js';
import { testPki } from '../support/pki.js';

const CHROMIUM = '/usr/bin/chromium';
const CODES = ['CONSOLE-1', 'CONSOLE-2'];
const haveChromium = existsSync(CHROMIUM);

interface ShownCheck {
  check: string;
  state: string;
  text: string;
}

describe.skipIf(!haveChromium)(haveChromium ? 'the auditors’ console in a browser' : `the auditors’ console in a browser: SKIPPED, ${CHROMIUM} is absent (apt-get install chromium)`, () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const indexes = new Map<string, number[]>();
  /** Deliveries to the portal: signed through their call's manifest, so shown with a manifest check. */
  const deliveries = new Set<number>();

  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite' });
    const signer = (await testPki()).partners['hanoi-one-stop'].signer;
    for (const code of CODES) {
      const raw = Buffer.from(JSON.stringify(sampleDossier(code)));
      const response = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, raw, headers: { 'content-type': 'application/json', [JWS_HEADER]: signDetachedJws(raw, signer) } });
      expect(response.status, JSON.stringify(response.body)).toBe(202);
    }
    // Each dossier: its signed arrival and its signed delivery to the portal, both under a checkpoint.
    for (const code of CODES) {
      const found = await eventually(async () => {
        const records = (await gw.call('GET', `/v1/audit/records?dossierCode=${code}`, { key: KEYS.auditor })).body.records as { index: number; outcome: string }[];
        if (!records.some((r) => r.outcome === 'accepted') || !records.some((r) => r.outcome === 'delivered')) return undefined;
        const last = Math.max(...records.map((r) => r.index));
        return (await gw.call('GET', `/v1/audit/bundles/${last}`, { key: KEYS.auditor })).status === 200 && records;
      }, `${code} delivered and under a checkpoint`);
      indexes.set(code, found.map((r) => r.index));
      for (const r of found) if (r.outcome === 'delivered') deliveries.add(r.index);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
    // A CSP violation or a script error would show up here, not as a failed check.
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`${message.text()} (${message.location().url})`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  async function search(code: string): Promise<number[]> {
    await page.fill('#q-dossier', code);
    await page.click('#search-form button[type="submit"]');
    // The table may still hold another search's rows: wait for this dossier's.
    await page.waitForFunction(
      ([dossier, n]) => {
        const rows = [...document.querySelectorAll('#results tbody tr')];
        return rows.length === n && rows.every((row) => row.children[5]?.textContent === dossier);
      },
      [code, indexes.get(code)!.length] as const,
    );
    return page.$$eval('#results tbody tr', (rows) => rows.map((row) => Number((row as HTMLElement).dataset.index)));
  }

  async function open(index: number): Promise<{ verdict: string; banner: string; checks: ShownCheck[] }> {
    await page.click(`#results button.open[data-index="${index}"]`);
    const done = `#record[data-index="${index}"]:not([data-verdict="checking"])`;
    await page.waitForSelector(done);
    return page.$eval(done, (section) => ({
      verdict: (section as HTMLElement).dataset.verdict ?? '',
      banner: section.querySelector('#verdict')?.textContent ?? '',
      checks: [...section.querySelectorAll<HTMLElement>('#checks li')].map((li) => ({ check: li.dataset.check ?? '', state: li.dataset.state ?? '', text: li.textContent ?? '' })),
    }));
  }

  it('serves the console with a strict CSP and only its own files', async () => {
    const index = await gw.call('GET', '/audit/');
    expect(index.status).toBe(200);
    expect(String(index.headers['content-type'])).toMatch(/^text\/html/);
    expect(index.headers['content-security-policy']).toBe("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(String((await gw.call('GET', '/audit/verify.js')).headers['content-type'])).toMatch(/^text\/javascript/);
    const redirect = await gw.call('GET', '/audit');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/audit/');
    expect((await gw.call('GET', '/audit/package.json')).status).toBe(404);
    expect((await gw.call('GET', '/audit/..%2Fapp.ts')).status).toBe(404);
  });

  it('takes the API key, shows the log key and a checkpoint verified in the browser', async () => {
    await page.goto(`${gw.url}/audit/`);
    await page.fill('#api-key', KEYS.auditor);
    await page.click('#api-key-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('#growth tbody tr') !== null);
    const verifierKey = (await readFile(path.join(gw.dataDir, 'audit-log.key.pub'), 'utf8')).trim();
    expect(await page.textContent('#served-key')).toBe(verifierKey);
    expect(await page.textContent('#cp-signature')).toMatch(/^✓/);
    expect(Number(await page.textContent('#cp-size'))).toBeGreaterThan(Math.max(...indexes.get(CODES[1]!)!));
    // The key stays in the tab's session storage and out of the URL.
    expect(page.url()).toBe(`${gw.url}/audit/`);
    expect(await page.evaluate(() => sessionStorage.getItem('lgsp-audit-api-key'))).toBe(KEYS.auditor);
    await page.click('#check-growth');
    await page.waitForFunction(() => [...document.querySelectorAll('#growth .consistency')].every((cell) => cell.textContent !== '—'));
    expect(await page.$$eval('#growth .consistency', (cells) => cells.map((c) => c.textContent?.[0]))).not.toContain('✗');
  });

  it('draws a lone checkpoint as a point with a sentence, not an empty chart', async () => {
    const checkpoints = (url: URL) => url.pathname === '/v1/audit/checkpoints';
    // The log as it is right after its first checkpoint: the API answers only the latest one.
    await page.route(checkpoints, async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      await route.fulfill({ response, json: { ...body, checkpoints: body.checkpoints.slice(-1) } });
    });
    try {
      await page.reload();
      await page.waitForSelector('#growth-chart circle');
      expect(await page.$$eval('#growth tbody tr', (rows) => rows.length)).toBe(1);
      expect(await page.$$('#growth-chart polyline')).toHaveLength(0);
      expect(await page.textContent('#growth-note')).toMatch(/one checkpoint so far \(tree size \d+\)/);
    } finally {
      await page.unroute(checkpoints);
      await page.reload();
      await page.waitForFunction(() => document.querySelector('#growth tbody tr') !== null);
    }
    expect(await page.$$('#growth-chart polyline')).toHaveLength(1);
    expect(await page.$$('#growth-note')).toHaveLength(0);
  });

  it("finds each dossier's records and sees every one verified", async () => {
    for (const code of CODES) {
      const shown = await search(code);
      expect(shown.sort()).toEqual([...indexes.get(code)!].sort());
      // All of them shown on one page: no "More" to click.
      expect(await page.textContent('#search-status')).toMatch(new RegExp(`^${shown.length} bản ghi`));
      expect(await page.isVisible('#more')).toBe(false);
      for (const index of shown) {
        const { verdict, banner, checks } = await open(index);
        expect(verdict, JSON.stringify(checks)).toBe('ok');
        expect(banner).toContain('HỢP LỆ / VERIFIED');
        const manifest = deliveries.has(index) ? ['manifest'] : [];
        expect(checks.map((c) => c.check)).toEqual(['bundle', 'checkpoint', 'leaf', 'inclusion', 'body', ...manifest, 'chain', 'signature']);
        for (const check of checks) expect(check.state, check.text).toBe('ok');
      }
    }
    expect(pageErrors).toEqual([]);
  });

  it('offers the bundle as served for download', async () => {
    const [index] = indexes.get(CODES[0]!)!;
    await search(CODES[0]!);
    await open(index!);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe(`lgsp-audit-bundle-${index}.json`);
    const bundle = JSON.parse(await readFile(await download.path(), 'utf8'));
    expect(bundle).toMatchObject({ format: 'lgsp-audit-bundle/v1', index, origin: TEST_LOG_ORIGIN });
  });

  it('shows a record whose stored leaf was rewritten as NOT VALID, loudly', async () => {
    const db = gw.gateway.db;
    const accepted = (await gw.call('GET', `/v1/audit/records?dossierCode=${CODES[1]}&direction=in`, { key: KEYS.auditor })).body.records[0].index as number;
    const [row] = await db.query<{ leaf: Uint8Array }>('SELECT leaf FROM audit_leaves WHERE leaf_index = $1', [String(accepted)]);
    // Still a canonical lgsp-leaf/v1 record, so the gateway serves it; only the proof can tell.
    const forged = { ...JSON.parse(Buffer.from(row!.leaf).toString('utf8')), outcome: 'refused', errorCode: 'signature-invalid' };
    await db.query('UPDATE audit_leaves SET leaf = $1 WHERE leaf_index = $2', [Buffer.from(canonicalJson(forged)), String(accepted)]);

    const shown = await search(CODES[1]!);
    const { verdict, banner, checks } = await open(accepted);
    expect(verdict).toBe('fail');
    expect(banner).toContain('KHÔNG HỢP LỆ / NOT VALID');
    expect(checks.find((c) => c.check === 'inclusion')?.state).toBe('fail');
    expect(await page.$eval('#record', (section) => getComputedStyle(section).borderTopColor)).toBe('rgb(176, 0, 32)');
    // The dossier's other record is untouched and still verifies.
    for (const index of shown.filter((i) => i !== accepted)) expect((await open(index)).verdict).toBe('ok');
  });

  it('checks with a pinned key, and says loudly when the gateway serves another', async () => {
    const stranger = generateNoteKey(TEST_LOG_ORIGIN).verifierKey;
    await page.fill('#pinned-key', stranger);
    await page.click('#pin-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('#active-key')?.textContent?.includes('pinned'));
    expect(await page.isVisible('#key-alert')).toBe(true);
    expect(await page.textContent('#key-alert')).toContain('KHÁC KHÓA ĐÃ GHIM');
    const [index] = await search(CODES[0]!);
    const { verdict, checks } = await open(index!);
    expect(verdict).toBe('fail');
    expect(checks.find((c) => c.check === 'checkpoint')?.state).toBe('fail');

    await page.click('#unpin');
    await page.waitForFunction(() => !document.querySelector('#active-key')?.textContent?.includes('pinned'));
    expect((await open(index!)).verdict).toBe('ok');
  });
});
