// VNPost's (bưu chính công ích) order API wire shapes, as provinces use it through the national
// platform. Field names are the operator's; what they carry is mapped in translate.ts and README.md.

/** direct: the operator's API as published, Bearer token; lgsp: reached through a province's own LGSP. */
export type VnpostVariant = 'direct' | 'lgsp';

/** The body of `POST {base}/order/post`. */
export interface VnpostOrder {
  CustomerCode: string;
  /** The gateway's order number: the dossier code, with a suffix for a result delivery. */
  OrderNumber: string;
  /** VND to collect on delivery; 0 for none. */
  CODAmount: number;
  SenderName: string;
  SenderAddress: string;
  SenderTel: string;
  SenderEmail: string;
  /**
   * The province code as a number: the NGSP SDK's MOrder types SenderProvince, SenderDistrict,
   * ReceiverProvince and ReceiverDistrict as Integer.
   */
  SenderProvince: number;
  /** Left out for an address of the two-tier (post-2025) administration: a typed server refuses '' for a number. */
  SenderDistrict?: number;
  SenderDesc: string;
  ReceiverName: string;
  ReceiverAddress: string;
  ReceiverTel: string;
  ReceiverEmail: string;
  ReceiverProvince: number;
  ReceiverDistrict?: number;
  Description: string;
  /** lgsp only: the postal item code (số hiệu bưu gửi) the province pre-allocated. */
  ItemCode?: string;
  /** lgsp only: the public service kind, see FLAG_CONFIG in translate.ts. */
  FlagConfig?: string;
}

/** The body of `POST {base}/order/cancel`. */
export interface VnpostCancel {
  CustomerCode: string;
  OrderNumber: string;
}

/** Every answer of the order API carries these; create may add the allocated ItemCode, track the events. */
export interface VnpostAnswer {
  Status: string;
  Message: string;
  ItemCode?: string;
}

export interface VnpostTrackAnswer extends VnpostAnswer {
  OrderNumber: string;
  Events: VnpostEvent[];
}

/**
 * One status event, in a push or (the gateway's earlier tracking shape) a track page with Events.
 * Operators send codes and ids as numbers or strings; both are read.
 */
export interface VnpostEvent {
  /** Increasing per operator; the `lastId` of the next track page. */
  Id?: string | number;
  ItemCode?: string;
  StatusCode: string | number;
  StatusMessage?: string;
  /** `dd/MM/yyyy HH:mm:ss`, Vietnam time, or an epoch number as in NgspRhDoc. */
  EventTime: string | number;
  /** The post office (bưu cục) that recorded the event. */
  POSID?: string | number;
  Notes?: string | null;
}

/** What the operator POSTs to the gateway's callback, signed in `X-JWS-Signature`. */
export interface VnpostPush {
  OrderNumber: string;
  ItemCode: string;
  Events: VnpostEvent[];
}

/** The OAuth2 token endpoint's answer. */
export interface VnpostToken {
  access_token: string;
  token_type: string;
  expires_in: number;
}

/**
 * One tracking record as the VNPost NGSP SDK shipped with OpenCPS models it (vn.mitc.ngsp.sdk.models.MRhDoc,
 * Gson names): a RESTHeart document of the customer's event feed.
 */
export interface NgspRhDoc {
  /** The document id; the last one of a page is the next page's `lastId`. */
  _id?: { $oid?: string };
  CustomerCode?: string;
  OrderNumber?: string;
  /** Java Long: epoch milliseconds (seconds are read too, see dates.ts). */
  EventTime?: number;
  POSID?: string;
  ItemCode?: string;
  /** Java Integer. */
  StatusCode?: number;
  StatusMessage?: string;
  Notes?: string | null;
}

/** A tracking answer of the NGSP SDK (MStatus with MEmbedded): `GET {tracking}?pagesize=&lastId=`. */
export interface NgspTrackingPage {
  _size?: number;
  _total_pages?: number;
  _returned?: number;
  _embedded?: { 'rh:doc'?: NgspRhDoc[] };
}
