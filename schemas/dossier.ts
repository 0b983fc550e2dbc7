// The canonical dossier model: what one-stop software sends to POST /v1/dossiers.
// English names; the national portal's Vietnamese wire names are mapped once, in
// adapters/national-portal/translate.ts. `npm run schemas` writes these as JSON Schema files.
import { Type, type Static } from '@sinclair/typebox';

/** Dossier codes travel in URLs and partner protocols: letters, digits, dot, dash, underscore. */
export const DossierCode = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'Mã hồ sơ: the dossier code, unique nationally',
  examples: ['000.00.01.H12-250101-0001'],
});

export const AgencyCode = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });

/** RFC 3339 with an explicit offset; the portal wants local time, so the offset matters. */
export const Timestamp = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'RFC 3339 date-time with offset',
  examples: ['2025-08-01T08:30:00+07:00'],
});

export const DOSSIER_STATUSES = [
  'NEW',
  'RECEIVED',
  'REJECTED',
  'PROCESSING',
  'SUPPLEMENT_REQUESTED',
  'PAYMENT_REQUESTED',
  'WITHDRAWN',
  'SUSPENDED',
  'COMPLETED',
  'RETURNED',
] as const;
export const DossierStatus = Type.Union(DOSSIER_STATUSES.map((s) => Type.Literal(s)));
export type DossierStatus = Static<typeof DossierStatus>;

const ShortText = (maxLength = 500) => Type.String({ minLength: 1, maxLength });
const Sha256Hex = Type.String({ pattern: '^[0-9a-f]{64}$' });
const FileId = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', description: 'Id returned by POST /v1/files' });
const Url = Type.String({ format: 'uri', maxLength: 2000, pattern: '^https?://' });

/**
 * National portal fields the gateway does not model, kept with the dossier and passed through
 * unchanged in the portal item (adapters/national-portal/README.md, "Pass-through"). The portal's
 * protocol grows every year; a one-stop system that sends a newer field must not be refused for
 * it. The gateway's own fields win: a name the gateway writes itself is never taken from here.
 */
// An open object rather than a Record: OpenAPI 3.0 has no patternProperties.
export const PortalFields = Type.Object({}, {
  additionalProperties: true,
  maxProperties: 100,
  description:
    'National portal fields the gateway does not model, passed through unchanged (wire names as keys; the gateway\'s own fields win). SOAP: a JSON object as the element\'s text',
});
const portalFields = () => Type.Optional(PortalFields);

export const Address = Type.Object(
  {
    line: ShortText(500),
    provinceCode: Type.String({ pattern: '^[0-9]{2}$', description: 'Current (post-2025) province code' }),
    communeCode: Type.String({ pattern: '^[0-9]{5}$', description: 'Current commune/ward code' }),
    districtCode: Type.Optional(
      Type.String({ pattern: '^[0-9]{3}$', description: 'Only for older dossiers that still name a district' }),
    ),
  },
  { additionalProperties: false },
);

export const Identifier = Type.Object(
  {
    type: Type.Union([Type.Literal('citizen-id'), Type.Literal('passport'), Type.Literal('tax-code'), Type.Literal('other')]),
    number: Type.String({ minLength: 1, maxLength: 50 }),
    portalFields: portalFields(),
  },
  { additionalProperties: false },
);

export const Applicant = Type.Object(
  {
    kind: Type.Union([Type.Literal('citizen'), Type.Literal('organization')]),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'ChuHoSo; optional at the portal (OpenCPS marks it so)' })),
    idNumber: Type.Optional(
      Type.String({ minLength: 1, maxLength: 50, description: 'CCCD or tax code; maps to SoGiayToChuHoSo (absent when the sender has none: OpenCPS never sends it)' }),
    ),
    identifiers: Type.Optional(Type.Array(Identifier, { maxItems: 10 })),
    portalAccountId: Type.Optional(Type.String({ maxLength: 100, description: 'National portal account; MaDoiTuong' })),
    vneidVerified: Type.Optional(Type.Boolean({ description: 'Account verified with VNeID' })),
    phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9 .-]{6,20}$' })),
    fax: Type.Optional(Type.String({ pattern: '^\\+?[0-9 .-]{6,20}$', description: 'Fax' })),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    address: Type.Optional(Address),
  },
  { additionalProperties: false },
);

export const DocumentRef = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'TepDinhKemId; some one-stop systems send none' })),
    name: ShortText(500),
    componentCode: Type.Optional(Type.String({ maxLength: 100, description: 'MaThanhPhanHoSo' })),
    fileId: Type.Optional(FileId),
    url: Type.Optional(Url),
    sha256: Type.Optional(Sha256Hex),
    digitised: Type.Optional(Type.Boolean()),
    reused: Type.Optional(Type.Boolean()),
    deleted: Type.Optional(Type.Boolean()),
    portalFields: portalFields(),
  },
  { additionalProperties: false },
);

export const ResultDocument = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'GiayToId; some one-stop systems send none' })),
    name: ShortText(500),
    componentCode: Type.Optional(Type.String({ maxLength: 100 })),
    documentNumber: Type.Optional(Type.String({ maxLength: 100, description: 'MaGiayToKetQua' })),
    fileId: Type.Optional(FileId),
    url: Type.Optional(Url),
    sha256: Type.Optional(Sha256Hex),
    portalFields: portalFields(),
  },
  { additionalProperties: false },
);

export const Fee = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 50 }),
    name: ShortText(300),
    amount: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'VND' }),
    kind: Type.Optional(Type.Union([Type.Literal('fee'), Type.Literal('charge')], { default: 'fee' })),
    collection: Type.Optional(Type.Union([Type.Literal('online'), Type.Literal('counter'), Type.Literal('postal')])),
    paidOnline: Type.Optional(Type.Boolean()),
    portalFields: portalFields(),
  },
  { additionalProperties: false },
);

/** A paper listed without a file (DanhSachTepDinhKemKhac): its name, how many copies, what kind. */
export const OtherPaper = Type.Object(
  {
    name: ShortText(500),
    count: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'SoLuong' })),
    kind: Type.Optional(Type.String({ maxLength: 100, description: 'LoaiGiayTo, as the sender codes it' })),
    portalFields: portalFields(),
  },
  { additionalProperties: false },
);

/** A request for more papers and its answer (DanhSachHoSoBoSung). */
export const Supplement = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 100, description: 'HoSoBoSungId' }),
    requestedBy: Type.Optional(Type.String({ maxLength: 300, description: 'NguoiYeuCauBoSung' })),
    content: Type.Optional(Type.String({ maxLength: 4000, description: 'NoiDungBoSung' })),
    requestedAt: Type.Optional(Timestamp),
    receivedBy: Type.Optional(Type.String({ maxLength: 300, description: 'NguoiTiepNhanBoSung' })),
    receiptNote: Type.Optional(Type.String({ maxLength: 4000, description: 'ThongTinTiepNhan' })),
    receivedAt: Type.Optional(Timestamp),
    status: Type.Optional(Type.String({ maxLength: 50, description: 'TrangThaiBoSung, as the sender codes it' })),
    documents: Type.Optional(Type.Array(DocumentRef, { maxItems: 200 })),
    fees: Type.Optional(Type.Array(Fee, { maxItems: 50 })),
    previousDueAt: Type.Optional(Timestamp),
    newDueAt: Type.Optional(Timestamp),
    portalFields: portalFields(),
  },
  { additionalProperties: false },
);

export const Dossier = Type.Object(
  {
    code: DossierCode,
    procedure: Type.Object(
      {
        code: Type.String({ minLength: 1, maxLength: 50 }),
        name: ShortText(1000),
        field: Type.Object({ code: Type.String({ minLength: 1, maxLength: 50 }), name: ShortText(500) }, { additionalProperties: false }),
      },
      { additionalProperties: false },
    ),
    agency: Type.Object({ code: AgencyCode, name: ShortText(500) }, { additionalProperties: false }),
    channel: Type.Optional(
      Type.Union([Type.Literal('direct'), Type.Literal('online'), Type.Literal('postal')], {
        description: 'KenhThucHien; absent when the sender does not say (OpenCPS never does), and then not sent to the portal',
      }),
    ),
    applicant: Applicant,
    summary: ShortText(2000),
    submittedAt: Type.Optional(Timestamp),
    receivedAt: Type.Optional(Timestamp),
    dueAt: Type.Optional(Timestamp),
    rejectedAt: Type.Optional(Timestamp),
    status: DossierStatus,
    returnedAt: Type.Optional(Timestamp),
    resultDelivery: Type.Optional(Type.Union([Type.Literal('counter'), Type.Literal('postal')])),
    processingUnit: Type.Optional(Type.String({ maxLength: 500, description: 'DonViXuLy' })),
    submissionPlace: Type.Optional(
      Type.Union([Type.Literal('national-portal'), Type.Literal('provincial')], { description: 'NoiNopHoSo: where the citizen submitted' }),
    ),
    documents: Type.Optional(Type.Array(DocumentRef, { maxItems: 200 })),
    results: Type.Optional(Type.Array(ResultDocument, { maxItems: 100 })),
    fees: Type.Optional(Type.Array(Fee, { maxItems: 50 })),
    receiptNumber: Type.Optional(Type.String({ maxLength: 100, description: 'SoBienNhan' })),
    note: Type.Optional(Type.String({ maxLength: 4000, description: 'GhiChu' })),
    otherInfo: Type.Optional(Type.String({ maxLength: 4000, description: 'ThongTinKhac' })),
    returnInfo: Type.Optional(Type.String({ maxLength: 4000, description: 'ThongTinTra: how and where the result is returned' })),
    processingEndedAt: Type.Optional(Timestamp),
    otherPapers: Type.Optional(Type.Array(OtherPaper, { maxItems: 200 })),
    supplements: Type.Optional(Type.Array(Supplement, { maxItems: 50 })),
    digitisedPapers: Type.Optional(
      Type.Boolean({ description: 'HoSoCoThanhPhanSoHoa when the sender says so; otherwise derived from documents[].digitised' }),
    ),
    paidOnline: Type.Optional(Type.Boolean({ description: 'DuocThanhToanTrucTuyen when the sender says so; otherwise derived from fees[].paidOnline' })),
    portalFields: portalFields(),
  },
  { additionalProperties: false, $id: 'Dossier' },
);
export type Dossier = Static<typeof Dossier>;

export const DossierEvent = Type.Object(
  {
    sequence: Type.Integer({ minimum: 1, maximum: 1_000_000, description: "The sender's counter for this dossier, from 1" }),
    status: DossierStatus,
    at: Timestamp,
    startedAt: Type.Optional(Timestamp),
    actor: Type.Object(
      {
        name: ShortText(300),
        title: Type.Optional(Type.String({ maxLength: 300 })),
        department: Type.Optional(Type.String({ maxLength: 500 })),
      },
      { additionalProperties: false },
    ),
    note: Type.Optional(Type.String({ maxLength: 4000 })),
    dueAt: Type.Optional(Timestamp),
    portalFields: portalFields(),
  },
  { additionalProperties: false, $id: 'DossierEvent' },
);
export type DossierEvent = Static<typeof DossierEvent>;
