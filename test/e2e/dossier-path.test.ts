// The foundation's first job, end to end: dossiers and their events, posted over HTTP, reach the
// national portal simulator in order and exactly as the golden fixtures say, on both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { loadGoldenCases } from '../fixtures/national-portal/fixtures.js';
import { KEYS, eventually, startTestGateway, type Engine, type TestGateway } from '../support/gateway.js';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

describe.each<Engine>(['pglite', 'postgres'])('dossier path to the national portal (%s)', (engine) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine });
  });
  afterAll(async () => gw?.close());

  it('delivers every golden dossier and its events in order, exactly as the fixtures say', async () => {
    const cases = loadGoldenCases();
    expect(cases.length).toBeGreaterThanOrEqual(5);
    const uploaded = new Map<string, string>();
    for (const golden of cases) {
      const dossier = structuredClone(golden.dossier);
      // Papers referenced by file id are uploaded first; the portal then gets a signed gateway link.
      for (const doc of [...(dossier.documents ?? []), ...(dossier.results ?? [])]) {
        if (!doc.fileId) continue;
        const upload = await gw.call('POST', '/v1/files', {
          key: KEYS.oneStop,
          raw: PDF,
          headers: { 'content-type': 'application/pdf', 'x-file-name': encodeURIComponent(`${doc.name}.pdf`) },
        });
        expect(upload.status).toBe(201);
        uploaded.set(upload.body.id, doc.fileId);
        doc.fileId = upload.body.id;
      }
      const created = await gw.call('POST', '/v1/dossiers', { key: KEYS.oneStop, body: dossier });
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      expect(created.body.change).toBe('create');
      for (const event of golden.events) {
        const sent = await gw.call('POST', `/v1/dossiers/${encodeURIComponent(dossier.code)}/events`, { key: KEYS.oneStop, body: event });
        expect(sent.status, JSON.stringify(sent.body)).toBe(202);
      }
    }

    for (const golden of cases) {
      const code = golden.dossier.code;
      await eventually(() => (gw.sim.progress.get(code)?.length ?? 0) === golden.progress.length && gw.sim.dossiers.has(code), `${code} delivered`);
      const received = structuredClone(gw.sim.dossiers.get(code)!) as Record<string, any>;
      // Signed links to uploaded files: check each one downloads the very bytes uploaded, then
      // compare the item with the golden file as if the link were the fixture's.
      for (const paper of [...(received.TaiLieuNop ?? []), ...(received.DanhSachGiayToKetQua ?? [])]) {
        const field = 'DuongDanTaiTepTin' in paper ? 'DuongDanTaiTepTin' : 'DuongDanTepTinKetQua';
        const link = paper[field] as string;
        const match = /^http:\/\/127\.0\.0\.1:1\/files\/([0-9a-f-]{36})\?expires=\d+&signature=[\w-]{43}$/.exec(link);
        if (!match) continue;
        const download = await request(`${gw.url}${link.slice('http://127.0.0.1:1'.length)}`);
        expect(download.statusCode).toBe(200);
        expect(Buffer.from(await download.body.arrayBuffer()).equals(PDF)).toBe(true);
        paper[field] = `https://gateway.example/files/${uploaded.get(match[1]!)}`;
      }
      expect(received).toEqual(golden.portal);
      expect(gw.sim.progress.get(code) ?? []).toEqual(golden.progress);
      // The portal saw the dossier before any of its events, and the events in sequence order.
      const order = gw.sim.receivedOrder.filter((entry) => entry.split(':')[1] === code);
      expect(order[0]).toBe(`create:${code}`);
      expect(order.slice(1)).toEqual(golden.progress.map((p) => `progress:${code}:${p.TrangThai}`));
    }
  });

  it('shows each message delivered in GET /v1/dossiers/{code}, with the events and the message log', async () => {
    const code = loadGoldenCases()[0]!.dossier.code;
    const view = await eventually(async () => {
      const r = await gw.call('GET', `/v1/dossiers/${encodeURIComponent(code)}`, { key: KEYS.oneStop });
      return r.body.deliveries?.every((d: { state: string }) => d.state === 'delivered') ? r : undefined;
    }, 'all deliveries of the first golden dossier recorded');
    expect(view.status).toBe(200);
    expect(view.body.deliveries.map((d: { kind: string }) => d.kind)).toEqual(['dossier-create', ...view.body.events.map(() => 'dossier-event')]);
    expect(view.body.events.every((e: { delivery: { state: string } }) => e.delivery.state === 'delivered')).toBe(true);
    const log = await gw.gateway.db.query<{ direction: string; outcome: string }>('SELECT direction, outcome FROM message_log WHERE dossier_code = $1 ORDER BY seq', [code]);
    expect(log.filter((r) => r.direction === 'in' && r.outcome === 'accepted')).toHaveLength(view.body.deliveries.length);
    expect(log.filter((r) => r.direction === 'out' && r.outcome === 'delivered')).toHaveLength(view.body.deliveries.length);
  });
});
