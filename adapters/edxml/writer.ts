// Writes edXML: the envelope as a document of its own (what is signed), and the package around it
// (`edXML` › envelope, then `AttachmentEncoded` with each attachment's base64), produced as a stream
// so that attachments go from disk to the socket without being held whole.
import { createReadStream } from 'node:fs';
import { BUSINESS, MANIFEST_REFERENCE, MESSAGE_HEADER, STATUS, TRACE_HEADER, type Field } from './fields.js';
import { DSIG_NS, EDXML_NS, SHA256_URI, XLINK_NS, type Envelope, type ManifestReference } from './model.js';

const P = 'edXML:';

export function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

export function escapeAttribute(value: string): string {
  return escapeText(value).replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;');
}

function element(name: string, inner: string, attributes = ''): string {
  return `<${P}${name}${attributes}>${inner}</${P}${name}>`;
}

/** Writes `value` (a model object) as the children `fields` declare, in their order. */
export function writeFields(fields: Field[], value: Record<string, unknown>): string {
  let out = '';
  for (const field of fields) {
    const v = value[field.key];
    if (v === undefined) {
      if (!field.optional && !field.repeated) throw new Error(`edXML: ${field.element} is required`);
      continue;
    }
    const items = field.repeated ? (v as unknown[]) : [v];
    if (field.repeated && items.length === 0 && !field.optional) throw new Error(`edXML: at least one ${field.element} is required`);
    for (const item of items) {
      out += element(field.element, field.fields ? writeFields(field.fields, item as Record<string, unknown>) : escapeText(String(item)));
    }
  }
  return out;
}

function writeManifest(references: ManifestReference[]): string {
  const items = references.map((r) =>
    element(
      'Reference',
      writeFields(MANIFEST_REFERENCE, { ...r, contentId: `cid:${r.contentId}` }) +
        `<ds:DigestMethod Algorithm="${SHA256_URI}"></ds:DigestMethod><ds:DigestValue>${Buffer.from(r.sha256, 'hex').toString('base64')}</ds:DigestValue>`,
      ` xlink:href="cid:${escapeAttribute(r.contentId)}" xlink:type="simple"`,
    ),
  );
  return element('edXMLManifest', items.join(''), ` version="1.0" xmlns:xlink="${XLINK_NS}" xmlns:ds="${DSIG_NS}"`);
}

/** The envelope, unsigned, as its own document: `signEnvelope` signs exactly this. */
export function writeEnvelope(envelope: Envelope): string {
  const traces = envelope.traces.map((t) => element('TraceHeader', writeFields(TRACE_HEADER, t as unknown as Record<string, unknown>))).join('');
  let header: string;
  let body: string;
  if (envelope.kind === 'document') {
    const business = envelope.business ? element('Bussiness', writeFields(BUSINESS, envelope.business as unknown as Record<string, unknown>)) : '';
    header = element('MessageHeader', writeFields(MESSAGE_HEADER, envelope.messageHeader as unknown as Record<string, unknown>)) + element('TraceHeaderList', traces + business);
    body = writeManifest(envelope.manifest);
  } else {
    header = element('Status', writeFields(STATUS, envelope.status as unknown as Record<string, unknown>)) + element('TraceHeaderList', traces);
    body = writeManifest([]);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${P}edXMLEnvelope xmlns:edXML="${EDXML_NS}">${element('edXMLHeader', header)}${element('edXMLBody', body)}</${P}edXMLEnvelope>`;
}

/** One attachment to carry beside the envelope: its bytes come from a file, a buffer, or a stream of pieces of any size. */
export interface OutgoingAttachment {
  reference: ManifestReference;
  source: { file: string } | { bytes: Buffer } | { chunks: AsyncIterable<Uint8Array> };
}

const BASE64_CHUNK = 3 * 16 * 1024;

/**
 * The whole package, chunk by chunk: `envelopeXml` (signed, with or without its XML declaration),
 * then each attachment base64-encoded as it is read.
 */
export async function* packageChunks(envelopeXml: string, attachments: OutgoingAttachment[]): AsyncGenerator<Buffer> {
  const envelope = envelopeXml.replace(/^\uFEFF?<\?xml[^?]*\?>\s*/, '');
  yield Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="${EDXML_NS}">${envelope}`);
  if (attachments.length > 0) {
    yield Buffer.from('<AttachmentEncoded>');
    for (const { reference: r, source } of attachments) {
      yield Buffer.from(
        `<Attachment><ContentType>${escapeText(r.contentType)}</ContentType><ContentId>${escapeText(r.contentId)}</ContentId>` +
          `<Description>${escapeText(r.description ?? '')}</Description><ContentTransferEncoded>`,
      );
      yield* base64Chunks(source);
      yield Buffer.from(`</ContentTransferEncoded><AttachmentName>${escapeText(r.attachmentName)}</AttachmentName></Attachment>`);
    }
    yield Buffer.from('</AttachmentEncoded>');
  }
  yield Buffer.from('</edXML>');
}

async function* base64Chunks(source: OutgoingAttachment['source']): AsyncGenerator<Buffer> {
  if ('bytes' in source) {
    for (let i = 0; i < source.bytes.length; i += BASE64_CHUNK) yield Buffer.from(source.bytes.subarray(i, i + BASE64_CHUNK).toString('base64'));
    return;
  }
  // Encode whole 3-byte groups only, so that the pieces concatenate to one valid base64 text.
  let rest: Buffer = Buffer.alloc(0);
  const pieces: AsyncIterable<Uint8Array> = 'file' in source ? createReadStream(source.file, { highWaterMark: BASE64_CHUNK }) : source.chunks;
  for await (const piece of pieces) {
    const chunk = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    const data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    const whole = data.length - (data.length % 3);
    if (whole > 0) yield Buffer.from(data.subarray(0, whole).toString('base64'));
    rest = data.subarray(whole);
  }
  if (rest.length > 0) yield Buffer.from(rest.toString('base64'));
}

/** The package in one buffer, for small packages and tests. */
export async function writePackage(envelopeXml: string, attachments: OutgoingAttachment[]): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of packageChunks(envelopeXml, attachments)) parts.push(chunk);
  return Buffer.concat(parts);
}
