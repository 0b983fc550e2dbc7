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
  /** Two-digit province code. */
  SenderProvince: string;
  /** Three-digit district code, or '' for an address of the two-tier (post-2025) administration. */
  SenderDistrict: string;
  SenderDesc: string;
  ReceiverName: string;
  ReceiverAddress: string;
  ReceiverTel: string;
  ReceiverEmail: string;
  ReceiverProvince: string;
  ReceiverDistrict: string;
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
 * One status event, in a track page or a push. Operators send codes and ids as numbers or strings;
 * both are read.
 */
export interface VnpostEvent {
  /** Increasing per operator; the `lastId` of the next track page. */
  Id?: string | number;
  ItemCode?: string;
  StatusCode: string | number;
  StatusMessage?: string;
  /** `dd/MM/yyyy HH:mm:ss`, Vietnam time. */
  EventTime: string;
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
