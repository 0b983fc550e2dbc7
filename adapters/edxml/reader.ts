// Reads an edXML envelope strictly with xml2js: the hostile-XML guards of src/xml/safe-dom.ts run
// first (no DOCTYPE, no entities, no comments or processing instructions, a size limit), then every
// element must be the expected one, in the expected order and namespace. Anything else is refused.
import { Parser } from 'xml2js';
import { parseXmlDocument, XmlRefused } from '../../src/xml/safe-dom.js';
import { BUSINESS, MANIFEST_REFERENCE, MESSAGE_HEADER, STATUS, TRACE_HEADER, type Field } from './fields.js';
import { DSIG_NS, EDXML_NS, SHA256_URI, STATUS_CODES, XLINK_NS, type Envelope, type ManifestReference, type StatusCode } from './model.js';

export class EdxmlRefused extends Error {
  override readonly name = 'EdxmlRefused';
}

/** An element as xml2js gives it with `xmlns`, `explicitChildren` and `preserveChildrenOrder`. */
interface XNode {
  '#name': string;
  $ns?: { local: string; uri: string };
  $?: Record<string, { value: string; local: string; uri: string }>;
  $$?: XNode[];
  _?: string;
}

export const MAX_ENVELOPE_BYTES = 2 * 1024 * 1024;

export async function parseEnvelope(xml: string, maxBytes = MAX_ENVELOPE_BYTES): Promise<Envelope> {
  try {
    parseXmlDocument(xml, { maxBytes });
  } catch (error) {
    if (error instanceof XmlRefused) throw new EdxmlRefused(`envelope refused: ${error.message}`);
    throw error;
  }
  const parser = new Parser({ xmlns: true, explicitChildren: true, preserveChildrenOrder: true, explicitCharkey: true, charkey: '_', includeWhiteChars: false, trim: false, normalize: false, explicitRoot: true });
  let root: Record<string, XNode>;
  try {
    root = (await parser.parseStringPromise(xml)) as Record<string, XNode>;
  } catch (error) {
    throw new EdxmlRefused(`envelope is not well-formed: ${(error as Error).message.split('\n')[0]}`);
  }
  const envelope = Object.values(root)[0];
  if (!envelope) throw new EdxmlRefused('envelope is empty');
  expectName(envelope, 'edXMLEnvelope');
  const [header, body, ...extra] = children(envelope);
  if (extra.length > 0 || !header || !body) throw new EdxmlRefused('edXMLEnvelope must hold edXMLHeader then edXMLBody');
  expectName(header, 'edXMLHeader');
  expectName(body, 'edXMLBody');
  const [first, traceList, signature, ...rest] = children(header);
  if (rest.length > 0) throw new EdxmlRefused('edXMLHeader holds more than MessageHeader/Status, TraceHeaderList and Signature');
  if (signature && !(signature.$ns?.uri === DSIG_NS && signature.$ns.local === 'Signature')) throw new EdxmlRefused('only a ds:Signature may follow TraceHeaderList');
  if (!traceList) throw new EdxmlRefused('edXMLHeader has no TraceHeaderList');
  expectName(traceList, 'TraceHeaderList');
  const traceItems = children(traceList);
  const businessNode = traceItems.at(-1) && localName(traceItems.at(-1)!) === 'Bussiness' ? traceItems.pop() : undefined;
  const traces = traceItems.map((t) => {
    expectName(t, 'TraceHeader');
    return readFields(t, TRACE_HEADER) as unknown as Envelope['traces'][number];
  });
  if (traces.length === 0) throw new EdxmlRefused('TraceHeaderList has no TraceHeader');
  const manifest = readManifest(body);

  if (first && localName(first) === 'Status') {
    if (businessNode) throw new EdxmlRefused('a status message carries no Bussiness');
    if (manifest.length > 0) throw new EdxmlRefused('a status message carries no attachments');
    const status = readFields(first, STATUS) as unknown as Extract<Envelope, { kind: 'status' }>['status'];
    if (!(status.statusCode in STATUS_CODES)) throw new EdxmlRefused(`StatusCode ${status.statusCode} is not one of ${Object.keys(STATUS_CODES).join(', ')}`);
    return { kind: 'status', status: { ...status, statusCode: status.statusCode as StatusCode }, traces };
  }
  if (!first) throw new EdxmlRefused('edXMLHeader has no MessageHeader');
  expectName(first, 'MessageHeader');
  const messageHeader = readFields(first, MESSAGE_HEADER) as unknown as Extract<Envelope, { kind: 'document' }>['messageHeader'];
  return {
    kind: 'document',
    messageHeader,
    traces,
    ...(businessNode ? { business: readFields(businessNode, BUSINESS) as unknown as NonNullable<Extract<Envelope, { kind: 'document' }>['business']> } : {}),
    manifest,
  };
}

function readManifest(body: XNode): ManifestReference[] {
  const [manifest, ...extra] = children(body);
  if (!manifest || extra.length > 0) throw new EdxmlRefused('edXMLBody must hold exactly one edXMLManifest');
  expectName(manifest, 'edXMLManifest');
  const seen = new Set<string>();
  return children(manifest).map((reference) => {
    expectName(reference, 'Reference');
    const nodes = children(reference);
    const digestValue = nodes.pop();
    const digestMethod = nodes.pop();
    if (digestMethod?.$ns?.uri !== DSIG_NS || digestMethod.$ns.local !== 'DigestMethod' || attribute(digestMethod, '', 'Algorithm') !== SHA256_URI) {
      throw new EdxmlRefused('each manifest Reference ends with ds:DigestMethod (SHA-256) and ds:DigestValue');
    }
    if (digestValue?.$ns?.uri !== DSIG_NS || digestValue.$ns.local !== 'DigestValue') throw new EdxmlRefused('manifest Reference has no ds:DigestValue');
    const fields = readSequence(nodes, MANIFEST_REFERENCE, 'Reference') as { contentId: string; attachmentName: string; contentType: string; description?: string };
    const href = attribute(reference, XLINK_NS, 'href');
    if (!fields.contentId.startsWith('cid:') || href !== fields.contentId) throw new EdxmlRefused('manifest Reference xlink:href and ContentId must name the same cid:');
    const contentId = fields.contentId.slice(4);
    if (!/^[A-Za-z0-9._@-]{1,128}$/.test(contentId) || seen.has(contentId)) throw new EdxmlRefused(`manifest ContentId ${contentId.slice(0, 40)} is malformed or repeated`);
    seen.add(contentId);
    const digest = Buffer.from(textOf(digestValue), 'base64');
    if (digest.length !== 32) throw new EdxmlRefused('manifest DigestValue is not a SHA-256 digest');
    return { ...fields, contentId, sha256: digest.toString('hex') };
  });
}

function readFields(node: XNode, fields: Field[]): Record<string, unknown> {
  return readSequence(children(node), fields, localName(node));
}

/** Matches the child elements to `fields` in order; refuses missing, misplaced or unknown elements. */
function readSequence(nodes: XNode[], fields: Field[], parent: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let i = 0;
  for (const field of fields) {
    const values: unknown[] = [];
    while (i < nodes.length && localName(nodes[i]!) === field.element && nodes[i]!.$ns?.uri === EDXML_NS) {
      const node = nodes[i++]!;
      values.push(field.fields ? readFields(node, field.fields) : textOf(node));
      if (!field.repeated) break;
    }
    if (values.length === 0 && !field.optional) throw new EdxmlRefused(`${parent} has no ${field.element} where one is required`);
    if (field.repeated) out[field.key] = values;
    else if (values.length > 0) out[field.key] = values[0];
  }
  if (i < nodes.length) throw new EdxmlRefused(`${parent} holds an unexpected ${nodes[i]!['#name']}`);
  return out;
}

function textOf(node: XNode): string {
  if (children(node).length > 0) throw new EdxmlRefused(`${localName(node)} must hold text, not elements`);
  return node._ ?? '';
}

function children(node: XNode): XNode[] {
  return (node.$$ ?? []).filter((c) => c['#name'] !== '__text__');
}

function localName(node: XNode): string {
  return node.$ns?.local ?? node['#name'];
}

function expectName(node: XNode, local: string): void {
  if (node.$ns?.uri !== EDXML_NS || node.$ns.local !== local) {
    throw new EdxmlRefused(`expected ${local} in ${EDXML_NS}, found ${node['#name']}`);
  }
}

function attribute(node: XNode, uri: string, local: string): string | undefined {
  return Object.values(node.$ ?? {}).find((a) => a.local === local && a.uri === uri)?.value;
}
