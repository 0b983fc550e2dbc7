// The edXML package (QCVN 102:2016) as the gateway's code sees it. Field names are the standard's
// own (they are English already), in camelCase; `fields.ts` maps them to elements in wire order.

export const EDXML_NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
export const XLINK_NS = 'http://www.w3.org/1999/xlink';
export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const SHA256_URI = 'http://www.w3.org/2001/04/xmlenc#sha256';

export interface Organ {
  organId: string;
  organizationInCharge?: string;
  organName: string;
  organAdd?: string;
  email?: string;
  telephone?: string;
  fax?: string;
  website?: string;
}

export interface ResponseFor {
  organId: string;
  code: string;
  promulgationDate: string;
  documentId: string;
}

export interface StaffInfo {
  department?: string;
  staff?: string;
  mobile?: string;
  email?: string;
}

export interface MessageHeader {
  from: Organ;
  to: Organ[];
  code: { codeNumber: string; codeNotation: string };
  promulgationInfo: { place: string; promulgationDate: string };
  documentType: { type: string; typeName: string; typeDetail?: string };
  subject: string;
  content?: string;
  signerInfo?: { competence?: string; position?: string; fullName: string };
  dueDate?: string;
  toPlaces?: { places: string[] };
  otherInfo?: {
    priority?: string;
    sphereOfPromulgation?: string;
    typerNotation?: string;
    promulgationAmount?: string;
    pageAmount?: string;
    appendixes?: { appendixes: string[] };
    /** The gateway's mark for a one-stop dossier hand-over (see README): `HoSoMotCua`. */
    applicationType?: string;
  };
  responseFor: ResponseFor[];
  steeringType?: string;
  documentId: string;
}

/** BussinessDocType: what the package does to the document. */
export const BUSINESS_DOC_TYPES = { new: '0', revoke: '1', update: '2', replace: '3' } as const;

export interface Business {
  bussinessDocType: string;
  bussinessDocReason?: string;
  bussinessDocumentInfo?: { receiverList: { receivers: { receiverType: string; organId: string }[] } };
  staffInfo?: StaffInfo;
  paper?: string;
}

export interface TraceHeader {
  organId: string;
  timestamp: string;
}

/** Status message codes (the receiver's answers). */
export const STATUS_CODES = {
  '01': 'arrived',
  '02': 'refused',
  '03': 'accepted',
  '04': 'awaiting assignment',
  '05': 'in progress',
  '06': 'done',
  '13': 'revoked',
  '15': 'revocation or update agreed',
  '16': 'revocation or update refused',
} as const;
export type StatusCode = keyof typeof STATUS_CODES;

export interface Status {
  responseFor: ResponseFor;
  from: Organ;
  statusCode: StatusCode;
  description?: string;
  timestamp: string;
  staffInfo?: StaffInfo;
}

/** One edXML:Reference of the manifest; the digest binds the attachment's bytes to the signed envelope. */
export interface ManifestReference {
  contentId: string;
  attachmentName: string;
  contentType: string;
  description?: string;
  /** Lowercase hex SHA-256 of the decoded attachment. */
  sha256: string;
}

export type Envelope =
  | { kind: 'document'; messageHeader: MessageHeader; traces: TraceHeader[]; business?: Business; manifest: ManifestReference[] }
  | { kind: 'status'; status: Status; traces: TraceHeader[] };

/** The gateway's ApplicationType value for a one-stop dossier handed over between agencies. */
export const DOSSIER_HANDOVER = 'HoSoMotCua';

/** The standard's timestamp form, `yyyy/MM/dd HH:mm:ss`, in Vietnam time (UTC+7, no daylight saving). */
export function edxmlTimestamp(at: Date): string {
  const local = new Date(at.getTime() + 7 * 3_600_000).toISOString();
  return `${local.slice(0, 10).replaceAll('-', '/')} ${local.slice(11, 19)}`;
}
