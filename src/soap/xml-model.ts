// Reads a message's XML into the canonical JSON shape and writes JSON back as XML, both by walking
// the TypeBox schema: an object is an element per property, a list a wrapper element with one element
// per item. Reading decides structure only (names, nesting, numbers, booleans); the canonical
// validator of /v1 judges the values afterwards, so both doors refuse the same things the same way.
import { Kind, type TSchema } from '@sinclair/typebox';
import { Problem } from '../core/problems.js';
import { SOAP_SERVICE_NS, itemName } from './messages.js';

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

type Schema = TSchema & { properties?: Record<string, TSchema>; items?: TSchema; anyOf?: TSchema[]; additionalProperties?: unknown };

/** An object of any members (pass-through portal fields): it travels as a JSON object in the element's text (xsd.ts says so). */
export const isOpenObject = (schema: Schema): boolean =>
  schema[Kind] === 'Object' && schema.additionalProperties === true && Object.keys(schema.properties ?? {}).length === 0;

/** The branch that carries a value: `X` of `X | null`; literal unions stay whole (they are text). */
function valueBranch(schema: Schema): Schema {
  if (schema[Kind] !== 'Union') return schema;
  const branches = (schema.anyOf ?? []).filter((s) => s[Kind] !== 'Null');
  return branches.length === 1 ? (branches[0] as Schema) : schema;
}

function refused(path: string, message: string): Problem {
  return new Problem('invalid-request', 'The SOAP message does not match the service description', { errors: [{ path, message }] });
}

function childElements(element: Element, path: string): Element[] {
  const children: Element[] = [];
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) children.push(node as Element);
    else if ((node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) && (node.nodeValue ?? '').trim() !== '') {
      throw refused(path, 'holds text where elements are expected');
    }
  }
  for (const child of children) {
    if (child.namespaceURI !== SOAP_SERVICE_NS) throw refused(`${path}/${child.localName}`, `is not in the namespace ${SOAP_SERVICE_NS}`);
  }
  return children;
}

function textOf(element: Element, path: string): string {
  let text = '';
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) throw refused(path, 'holds elements where a value is expected');
    text += node.nodeValue ?? '';
  }
  return text;
}

/** The JSON value of `element` under `schema`, or undefined for xsi:nil. */
export function readXml(element: Element, schema: TSchema, path = ''): unknown {
  if (element.getAttributeNS(XSI_NS, 'nil') === 'true' || element.getAttributeNS(XSI_NS, 'nil') === '1') return undefined;
  const s = valueBranch(schema as Schema);
  if (isOpenObject(s)) {
    try {
      return JSON.parse(textOf(element, path)) as unknown;
    } catch {
      throw refused(path, 'holds no JSON object');
    }
  }
  switch (s[Kind]) {
    case 'Object': {
      const value: Record<string, unknown> = {};
      for (const child of childElements(element, path)) {
        const name = child.localName;
        const property = s.properties?.[name];
        const childPath = `${path}/${name}`;
        if (!property) throw refused(childPath, 'is not an element of this type');
        if (name in value) throw refused(childPath, 'appears twice');
        const read = readXml(child, property, childPath);
        if (read !== undefined) value[name] = read;
      }
      return value;
    }
    case 'Array': {
      const name = itemName(element.localName);
      return childElements(element, path).map((child, index) => {
        if (child.localName !== name) throw refused(`${path}/${child.localName}`, `a list of ${name} elements holds nothing else`);
        return readXml(child, s.items as TSchema, `${path}/${index}`);
      });
    }
    case 'Integer':
    case 'Number': {
      const text = textOf(element, path).trim();
      // Anything else stays text, so that the canonical validator names the problem.
      return /^-?[0-9]{1,16}$/.test(text) ? Number(text) : text;
    }
    case 'Boolean': {
      // xs:boolean's forms, and "True"/"False" as .NET and Java write a boolean.
      const text = textOf(element, path).trim();
      const lower = text.toLowerCase();
      return lower === 'true' || text === '1' ? true : lower === 'false' || text === '0' ? false : text;
    }
    default:
      return textOf(element, path);
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
const escapeText = (text: string) => text.replace(/[&<>\r]/g, (c) => ESCAPES[c]!);

/** `value` as the element `name`, children in the schema's order (XSD sequences are ordered). */
export function writeXml(name: string, value: unknown, schema: TSchema, namespace?: string): string {
  if (value === undefined || value === null) return '';
  const open = namespace ? `<${name} xmlns="${namespace}">` : `<${name}>`;
  const s = valueBranch(schema as Schema);
  if (isOpenObject(s)) return `${open}${escapeText(JSON.stringify(value))}</${name}>`;
  switch (s[Kind]) {
    case 'Object': {
      const record = value as Record<string, unknown>;
      const children = Object.entries(s.properties ?? {}).map(([key, property]) => writeXml(key, record[key], property));
      return `${open}${children.join('')}</${name}>`;
    }
    case 'Array':
      return `${open}${(value as unknown[]).map((item) => writeXml(itemName(name), item, s.items as TSchema)).join('')}</${name}>`;
    default:
      return `${open}${escapeText(String(value))}</${name}>`;
  }
}
