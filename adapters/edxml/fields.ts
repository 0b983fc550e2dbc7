// Element order of the edXML header parts, declared once: the writer emits these sequences and the
// reader accepts exactly them (order, required elements, repetition). Orders follow the SDK sample
// package and the public builders cited in README.md.

export interface Field {
  /** Local name in the edXML namespace. */
  element: string;
  /** Property of the model object. */
  key: string;
  /** Text content, or a nested sequence. */
  fields?: Field[];
  optional?: boolean;
  /** The property is an array of this element (zero or more, or one or more unless optional). */
  repeated?: boolean;
}

const text = (element: string, optional = false): Field => ({ element, key: camel(element), ...(optional ? { optional } : {}) });
const group = (element: string, fields: Field[], extra: Partial<Field> = {}): Field => ({ element, key: camel(element), fields, ...extra });

function camel(element: string): string {
  return element.charAt(0).toLowerCase() + element.slice(1);
}

export const ORGAN: Field[] = [
  text('OrganId'),
  text('OrganizationInCharge', true),
  text('OrganName'),
  text('OrganAdd', true),
  text('Email', true),
  text('Telephone', true),
  text('Fax', true),
  text('Website', true),
];

const RESPONSE_FOR: Field[] = [text('OrganId'), text('Code'), text('PromulgationDate'), text('DocumentId')];
const STAFF_INFO: Field[] = [text('Department', true), text('Staff', true), text('Mobile', true), text('Email', true)];

export const MESSAGE_HEADER: Field[] = [
  group('From', ORGAN),
  group('To', ORGAN, { repeated: true }),
  group('Code', [text('CodeNumber'), text('CodeNotation')]),
  group('PromulgationInfo', [text('Place'), text('PromulgationDate')]),
  group('DocumentType', [text('Type'), text('TypeName'), text('TypeDetail', true)]),
  text('Subject'),
  text('Content', true),
  group('SignerInfo', [text('Competence', true), text('Position', true), text('FullName')], { optional: true }),
  text('DueDate', true),
  group('ToPlaces', [{ element: 'Place', key: 'places', repeated: true, optional: true }], { optional: true }),
  group(
    'OtherInfo',
    [
      text('Priority', true),
      text('SphereOfPromulgation', true),
      text('TyperNotation', true),
      text('PromulgationAmount', true),
      text('PageAmount', true),
      group('Appendixes', [{ element: 'Appendix', key: 'appendixes', repeated: true, optional: true }], { optional: true }),
      text('ApplicationType', true),
    ],
    { optional: true },
  ),
  group('ResponseFor', RESPONSE_FOR, { repeated: true, optional: true }),
  text('SteeringType', true),
  text('DocumentId'),
];

export const TRACE_HEADER: Field[] = [text('OrganId'), text('Timestamp')];

export const BUSINESS: Field[] = [
  text('BussinessDocType'),
  text('BussinessDocReason', true),
  group(
    'BussinessDocumentInfo',
    [group('ReceiverList', [{ element: 'Receiver', key: 'receivers', fields: [text('ReceiverType'), text('OrganId')], repeated: true, optional: true }])],
    { optional: true },
  ),
  group('StaffInfo', STAFF_INFO, { optional: true }),
  text('Paper', true),
];

export const STATUS: Field[] = [
  group('ResponseFor', RESPONSE_FOR),
  group('From', ORGAN),
  text('StatusCode'),
  text('Description', true),
  text('Timestamp'),
  group('StaffInfo', STAFF_INFO, { optional: true }),
];

export const MANIFEST_REFERENCE: Field[] = [text('Description', true), text('AttachmentName'), text('ContentType'), text('ContentId')];

/** Children of one Attachment beside the envelope, as in the SDK sample (ContentTransferEncoded holds the base64). */
export const ATTACHMENT_ORDER = ['ContentType', 'ContentId', 'Description', 'ContentTransferEncoded', 'AttachmentName'] as const;
