// The gateway's copy of the national portal's catalogues (agencies, fields, procedures and each
// procedure's detail), read from the portal's sharing endpoint on start and then periodically, so
// that one-stop systems' look-ups are answered even while the portal is out of reach.
import type { Logger } from 'pino';
import type { NationalPortalClient, PortalAccount, PortalCatalogueItem, PortalCatalogueService } from '../../adapters/national-portal/index.js';
import type { Db, Queryable } from '../store/db.js';

/** The field that identifies an entry of each catalogue. */
export const CATALOGUE_KEY: Record<PortalCatalogueService, string> = {
  LayDanhMucCoQuan: 'MADONVI',
  LayDanhMucLinhVuc: 'MALINHVUC',
  LayDanhSachTTHC: 'MATTHC',
  LayThuTuc: 'MATTHC',
};

const LISTS = ['LayDanhMucCoQuan', 'LayDanhMucLinhVuc', 'LayDanhSachTTHC'] as const;
// Several workers may refresh at once; each refresh of a catalogue replaces it whole, one at a time.
const REFRESH_LOCK = 7_352_007;

export interface CachedCatalogue {
  items: PortalCatalogueItem[];
  refreshedAt: Date;
}

/** The cached catalogue, or one entry of it; undefined when it was never read from the portal. */
export async function readCatalogue(db: Queryable, service: PortalCatalogueService, key?: string): Promise<CachedCatalogue | undefined> {
  const [refresh] = await db.query<{ refreshed_at: Date | string }>('SELECT refreshed_at FROM portal_catalogue_refreshes WHERE service = $1', [service]);
  if (!refresh) return undefined;
  const rows =
    key === undefined
      ? await db.query<{ item: PortalCatalogueItem }>('SELECT item FROM portal_catalogue_items WHERE service = $1 ORDER BY position', [service])
      : await db.query<{ item: PortalCatalogueItem }>('SELECT item FROM portal_catalogue_items WHERE service = $1 AND item_key = $2', [service, key]);
  return { items: rows.map((r) => r.item), refreshedAt: new Date(refresh.refreshed_at) };
}

/** Replaces a catalogue with what the portal answered, in its order; entries without their key are skipped, repeats keep the first. */
export async function replaceCatalogue(db: Db, service: PortalCatalogueService, items: PortalCatalogueItem[]): Promise<number> {
  const keyField = CATALOGUE_KEY[service];
  const seen = new Set<string>();
  const rows: { key: string; item: PortalCatalogueItem }[] = [];
  for (const item of items) {
    const key = item[keyField];
    if (typeof key !== 'string' || key === '' || seen.has(key)) continue;
    seen.add(key);
    rows.push({ key, item });
  }
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [REFRESH_LOCK]);
    await tx.query('DELETE FROM portal_catalogue_items WHERE service = $1', [service]);
    await tx.query(
      `INSERT INTO portal_catalogue_items (service, item_key, position, item)
       SELECT $1, r->>'key', (ord - 1)::integer, r->'item' FROM json_array_elements($2::json) WITH ORDINALITY AS x(r, ord)`,
      [service, JSON.stringify(rows)],
    );
    await tx.query(
      `INSERT INTO portal_catalogue_refreshes (service, refreshed_at, items) VALUES ($1, now(), $2)
       ON CONFLICT (service) DO UPDATE SET refreshed_at = now(), items = $2`,
      [service, rows.length],
    );
  });
  return rows.length;
}

/** Reads every catalogue from the portal; one that cannot be read keeps its previous copy. */
export async function refreshCatalogues(db: Db, client: NationalPortalClient, account: PortalAccount, logger: Logger): Promise<void> {
  let procedures: PortalCatalogueItem[] | undefined;
  for (const service of LISTS) {
    try {
      const items = await client.catalogue(account, service);
      await replaceCatalogue(db, service, items);
      if (service === 'LayDanhSachTTHC') procedures = items;
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message }, service }, 'national portal catalogue not refreshed; the previous copy stays');
    }
  }
  if (!procedures) return;
  // The detail of each listed procedure; a detail that cannot be read keeps its previous copy.
  const previous = new Map(((await readCatalogue(db, 'LayThuTuc'))?.items ?? []).map((item) => [item.MATTHC, item]));
  const details: PortalCatalogueItem[] = [];
  for (const code of procedures.map((p) => p.MATTHC).filter((c): c is string => typeof c === 'string' && c !== '')) {
    try {
      details.push(...(await client.catalogue(account, 'LayThuTuc', { maTTHC: code })).slice(0, 1));
    } catch (err) {
      const kept = previous.get(code);
      if (kept) details.push(kept);
      logger.warn({ err: { message: (err as Error).message }, procedure: code }, 'procedure detail not refreshed');
    }
  }
  await replaceCatalogue(db, 'LayThuTuc', details);
}

/** Refreshes on start and then every intervalMs (0: on start only). */
export class CatalogueRefresher {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly refresh: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.#tick();
    if (this.intervalMs > 0) {
      this.#timer = setInterval(() => this.#tick(), this.intervalMs);
      this.#timer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  #tick(): void {
    if (this.#running) return; // a slow portal: the next refresh waits for this one
    this.#running = this.refresh()
      .catch((err) => this.logger.warn({ err: { message: (err as Error).message } }, 'catalogue refresh failed'))
      .finally(() => {
        this.#running = undefined;
      });
  }
}
