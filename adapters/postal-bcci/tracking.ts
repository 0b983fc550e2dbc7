// Reading one tracking page. VNPost's NGSP SDK (shipped with VietOpenCPS/opencps-v2) models the
// answer as a RESTHeart page of the customer's event feed, `_embedded."rh:doc"`, paged by the last
// document's `_id.$oid`, and OpenCPS (VNPostManagementImpl.getOrder) picks the order's records out of
// it by OrderNumber. The gateway's earlier shape (`Status`, `Events`, paged by `Id`) is read too.
import { isObject } from '../../src/core/json-object.js';
import { fromRhDoc } from './translate.js';
import type { NgspRhDoc, VnpostEvent } from './wire.js';

/** The first `lastId` of a walk through the feed, as OpenCPS's VnPostScheduler starts it. */
export const FIRST_LAST_ID = '0'.repeat(24);

export interface TrackPage {
  /** The order's events on this page. */
  events: VnpostEvent[];
  /** How many records the page held, the order's or not: a page shorter than asked is the last. */
  size: number;
  /** The `lastId` of the next page. */
  lastId?: string;
  itemCode?: string;
}

/** Whether an answer is in the SDK's shape (it carries no Status to classify). */
export function isNgspPage(body: Record<string, unknown>): boolean {
  return '_embedded' in body || '_returned' in body || '_size' in body;
}

/** The order's events of an SDK page; undefined when `_embedded` is there but holds no list. */
export function readNgspPage(body: Record<string, unknown>, orderNumber: string): TrackPage | undefined {
  // RESTHeart leaves `_embedded` out of an empty page.
  const embedded = body._embedded === undefined ? { 'rh:doc': [] } : body._embedded;
  if (!isObject(embedded)) return undefined;
  const list = embedded['rh:doc'] ?? [];
  if (!Array.isArray(list)) return undefined;
  const docs = list.filter(isObject) as NgspRhDoc[];
  // A record without OrderNumber is kept: a server that filtered by it may leave it out.
  const mine = docs.filter((d) => d.OrderNumber === undefined || d.OrderNumber === orderNumber);
  const itemCode = mine.map((d) => d.ItemCode).find((c): c is string => typeof c === 'string' && c !== '');
  const lastId = docs.at(-1)?._id?.$oid;
  return { events: mine.map(fromRhDoc), size: list.length, ...(typeof lastId === 'string' ? { lastId } : {}), ...(itemCode ? { itemCode } : {}) };
}

/** A page of the gateway's earlier shape; undefined without an Events list. */
export function readEventsPage(body: Record<string, unknown>): TrackPage | undefined {
  if (!Array.isArray(body.Events)) return undefined;
  const events = body.Events.filter(isObject) as unknown as VnpostEvent[];
  const lastId = events.at(-1)?.Id;
  const itemCode = typeof body.ItemCode === 'string' && body.ItemCode !== '' ? body.ItemCode : undefined;
  return { events, size: body.Events.length, ...(lastId !== undefined ? { lastId: String(lastId) } : {}), ...(itemCode ? { itemCode } : {}) };
}
