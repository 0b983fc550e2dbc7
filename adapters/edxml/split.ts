// Splits an incoming edXML package as it streams in: the envelope is re-serialised into a document of
// its own (small, kept in memory, signed and verified on its own), and each attachment's base64 is
// decoded straight into a file while its SHA-256 is computed. No attachment is ever held whole.
// sax flushes text every 64 KiB (its MAX_BUFFER_LENGTH), so a large base64 text arrives in pieces.
// DOCTYPE, processing instructions, comments and undeclared entities stop the split at once.
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import sax from 'sax';
import { ATTACHMENT_ORDER } from './fields.js';
import { EDXML_NS } from './model.js';
import { EdxmlRefused, MAX_ENVELOPE_BYTES } from './reader.js';
import { escapeAttribute, escapeText } from './writer.js';

export interface ReceivedAttachment {
  contentId: string;
  contentType: string;
  description: string;
  attachmentName: string;
  /** Where the decoded bytes are, until the caller moves or removes the file. */
  file: string;
  size: number;
  sha256: string;
}

export interface SplitPackage {
  /** The envelope as its own document, namespace declarations of its ancestors carried over. */
  envelopeXml: string;
  attachments: ReceivedAttachment[];
  /** Bytes of the whole package. */
  size: number;
}

export interface SplitLimits {
  maxPackageBytes: number;
  maxEnvelopeBytes?: number;
  maxAttachments?: number;
  /** Folder for the decoded attachments (temporary names). */
  dir: string;
}

interface OpenAttachment {
  fields: Partial<Record<(typeof ATTACHMENT_ORDER)[number], string>>;
  next: number;
  file?: string;
  out?: WriteStream;
  hash?: Hash;
  size: number;
  base64Rest: string;
}

export async function splitPackage(input: AsyncIterable<Buffer | string>, limits: SplitLimits): Promise<SplitPackage> {
  const maxEnvelope = limits.maxEnvelopeBytes ?? MAX_ENVELOPE_BYTES;
  const maxAttachments = limits.maxAttachments ?? 100;
  // position must stay on: sax checks its buffer lengths (and flushes long text) only as the position advances.
  const parser = sax.parser(true, { xmlns: true, trim: false, normalize: false, position: true });
  const stack: string[] = [];
  let envelope: string[] | undefined;
  let envelopeDepth = -1;
  let envelopeBytes = 0;
  let envelopeDone = false;
  let inAttachments = false;
  let current: OpenAttachment | undefined;
  let field: string | undefined;
  const attachments: ReceivedAttachment[] = [];
  // File work queued by the parser's (synchronous) events and done, in order, between chunks.
  const ops: { out: WriteStream; bytes?: Buffer }[] = [];
  const files: { file: string; out: WriteStream }[] = [];
  let failure: Error | undefined;
  const fail = (message: string) => {
    failure ??= new EdxmlRefused(message);
  };
  const emit = (text: string) => {
    envelopeBytes += Buffer.byteLength(text);
    if (envelopeBytes > maxEnvelope) fail(`the envelope is over ${maxEnvelope} bytes`);
    else envelope!.push(text);
  };

  parser.ondoctype = () => fail('a DOCTYPE is refused');
  parser.onprocessinginstruction = (pi) => {
    if (pi.name !== 'xml' || stack.length > 0) fail('a processing instruction is refused');
  };
  parser.oncomment = () => fail('a comment is refused');
  parser.onerror = (error) => fail(`the package is not well-formed XML: ${error.message.split('\n')[0]}`);
  parser.onopentag = (tag) => {
    const t = tag as sax.QualifiedTag;
    const depth = stack.length;
    stack.push(t.local);
    if (envelope && !envelopeDone) {
      emit(`<${t.name}${attributes(t, depth === envelopeDepth ? inheritedNamespaces(t) : {})}>`);
      return;
    }
    if (depth === 0) {
      if (t.uri !== EDXML_NS || t.local !== 'edXML') fail('the package root must be edXML in the QCVN 102:2016 namespace');
    } else if (depth === 1 && t.uri === EDXML_NS && t.local === 'edXMLEnvelope' && !envelopeDone) {
      envelope = [];
      envelopeDepth = depth;
      emit(`<${t.name}${attributes(t, inheritedNamespaces(t))}>`);
    } else if (depth === 1 && t.uri === EDXML_NS && t.local === 'AttachmentEncoded' && envelopeDone && !inAttachments) {
      inAttachments = true;
    } else if (depth === 2 && inAttachments && t.uri === EDXML_NS && t.local === 'Attachment') {
      if (attachments.length >= maxAttachments) fail(`more than ${maxAttachments} attachments`);
      current = { fields: {}, next: 0, size: 0, base64Rest: '' };
    } else if (depth === 3 && current && t.uri === EDXML_NS) {
      const expected = ATTACHMENT_ORDER.indexOf(t.local as (typeof ATTACHMENT_ORDER)[number]);
      if (expected < current.next) fail(`Attachment holds ${t.local} out of order`);
      current.next = expected + 1;
      field = t.local;
      if (field === 'ContentTransferEncoded') {
        current.file = path.join(limits.dir, `incoming-${randomUUID()}`);
        current.out = createWriteStream(current.file, { flags: 'wx' });
        current.out.on('error', (error) => (failure ??= error));
        files.push({ file: current.file, out: current.out });
        current.hash = createHash('sha256');
      }
    } else {
      fail(`unexpected element ${t.name} in the package`);
    }
  };
  parser.ontext = (text) => {
    if (envelope && !envelopeDone) emit(escapeText(text));
    else if (current && field === 'ContentTransferEncoded') decode(current, text);
    else if (current && field) current.fields[field as (typeof ATTACHMENT_ORDER)[number]] = (current.fields[field as (typeof ATTACHMENT_ORDER)[number]] ?? '') + text;
    else if (text.trim() !== '') fail('text outside the envelope and the attachments');
  };
  parser.oncdata = (text) => parser.ontext(text);
  parser.onclosetag = (name) => {
    stack.pop();
    const depth = stack.length;
    if (envelope && !envelopeDone) {
      emit(`</${name}>`);
      if (depth === envelopeDepth) envelopeDone = true;
      return;
    }
    if (depth === 3 && current && field === 'ContentTransferEncoded') finishBase64(current);
    if (depth === 3) field = undefined;
    if (depth === 2 && current) {
      const f = current.fields;
      if (!current.file || !current.hash || f.ContentId === undefined || f.ContentType === undefined || f.AttachmentName === undefined) {
        fail('an Attachment lacks ContentType, ContentId, ContentTransferEncoded or AttachmentName');
      } else {
        ops.push({ out: current.out! });
        attachments.push({
          contentId: f.ContentId.trim(),
          contentType: f.ContentType.trim(),
          description: f.Description ?? '',
          attachmentName: f.AttachmentName,
          file: current.file,
          size: current.size,
          sha256: current.hash.digest('hex'),
        });
      }
      current = undefined;
    }
  };

  const decode = (a: OpenAttachment, text: string) => {
    const clean = a.base64Rest + text.replace(/[\s]+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) {
      fail('an attachment is not base64');
      return;
    }
    const whole = clean.length - (clean.length % 4);
    a.base64Rest = clean.slice(whole);
    if (whole > 0) push(a, Buffer.from(clean.slice(0, whole), 'base64'));
  };
  const finishBase64 = (a: OpenAttachment) => {
    if (a.base64Rest.length > 0) fail('an attachment is not base64 (its length is not a multiple of 4)');
  };
  const push = (a: OpenAttachment, bytes: Buffer) => {
    a.size += bytes.length;
    a.hash!.update(bytes);
    ops.push({ out: a.out!, bytes });
  };

  let size = 0;
  const decoder = new StringDecoder('utf8');
  const flush = async () => {
    // Back-pressure: the decoded bytes of a chunk reach their file before the next chunk is read.
    for (let op = ops.shift(); op; op = ops.shift()) {
      const { out, bytes } = op;
      if (bytes) {
        if (!out.write(bytes)) await new Promise<void>((r) => out.once('drain', () => r()));
      } else {
        await new Promise<void>((r) => out.end(r));
      }
    }
  };
  try {
    for await (const chunk of input) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > limits.maxPackageBytes) fail(`the package is over ${limits.maxPackageBytes} bytes`);
      if (!failure) parser.write(decoder.write(bytes));
      if (failure) break;
      await flush();
    }
    if (!failure) parser.write(decoder.end()).close();
    if (!failure && !envelopeDone) fail('the package has no complete edXMLEnvelope');
    if (!failure && stack.length > 0) fail('the package ends before its root element closes');
    if (!failure) await flush();
  } catch (error) {
    failure ??= error as Error;
  }
  if (failure) {
    for (const { out } of files) out.destroy();
    await Promise.all(files.map(({ file }) => rm(file, { force: true })));
    throw failure;
  }
  return { envelopeXml: `<?xml version="1.0" encoding="UTF-8"?>\n${envelope!.join('')}`, attachments, size };

  function inheritedNamespaces(tag: sax.QualifiedTag): Record<string, string> {
    // The envelope leaves its ancestors: declare what was in scope there (exclusive c14n ignores
    // declarations nothing uses, so the digest is unchanged).
    const own = new Set(Object.keys(tag.attributes).filter((n) => n === 'xmlns' || n.startsWith('xmlns:')));
    const inherited: Record<string, string> = {};
    for (const [prefix, uri] of Object.entries(tag.ns)) {
      const name = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
      if (!own.has(name) && prefix !== 'xml' && prefix !== 'xmlns') inherited[name] = uri;
    }
    return inherited;
  }

}

function attributes(tag: sax.QualifiedTag, extra: Record<string, string>): string {
  let out = '';
  for (const [name, value] of Object.entries(extra)) out += ` ${name}="${escapeAttribute(value)}"`;
  for (const attribute of Object.values(tag.attributes)) out += ` ${attribute.name}="${escapeAttribute(attribute.value)}"`;
  return out;
}
