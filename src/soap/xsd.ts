// Renders the front door's XSD from the TypeBox messages, so that the service description and the
// reader/writer in xml-model.ts cannot drift apart. Types give structure (names, nesting, optionality,
// enumerations, numbers, booleans, dates); lengths and patterns are the canonical validator's job, and
// a value it refuses comes back as a SOAP Fault naming the element.
import { Kind, OptionalKind, type TSchema } from '@sinclair/typebox';
import { Timestamp } from '../../schemas/dossier.js';
import { GatewayFault, NAMED_TYPES, OPERATIONS, SOAP_SERVICE_NS, itemName } from './messages.js';
import { isOpenObject } from './xml-model.js';

type Schema = TSchema & { properties?: Record<string, TSchema>; items?: TSchema; anyOf?: TSchema[]; const?: unknown; description?: string; pattern?: string; $id?: string };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

function nonNull(schema: Schema): Schema[] {
  return schema[Kind] === 'Union' ? (schema.anyOf ?? []).filter((s) => s[Kind] !== 'Null') : [schema];
}

function builtin(schema: Schema): string | undefined {
  switch (schema[Kind]) {
    case 'String':
      return schema.pattern === Timestamp.pattern ? 'xs:dateTime' : 'xs:string';
    case 'Integer':
      return 'xs:long';
    case 'Number':
      return 'xs:decimal';
    case 'Boolean':
      return 'xs:boolean';
    case 'Object':
      // Open-ended members (pass-through portal fields) travel as a JSON object in text.
      return isOpenObject(schema) ? 'xs:string' : undefined;
    default:
      return undefined;
  }
}

function documentation(schema: Schema, pad: string): string {
  return schema.description ? `${pad}  <xs:annotation><xs:documentation>${escape(schema.description)}</xs:documentation></xs:annotation>\n` : '';
}

function sequence(properties: Record<string, TSchema>, pad: string): string {
  const elements = Object.entries(properties).map(([name, property]) => element(name, property as Schema, `${pad}    `));
  return `${pad}<xs:complexType>\n${pad}  <xs:sequence>\n${elements.join('')}${pad}  </xs:sequence>\n${pad}</xs:complexType>\n`;
}

/** `listItem`: the element repeats, zero or more times, inside its list's wrapper. */
function element(name: string, schema: Schema, pad: string, listItem = false): string {
  const branches = nonNull(schema);
  const optional = schema[OptionalKind] === 'Optional' || branches.length < (schema.anyOf?.length ?? 1);
  const occurs = listItem ? ' minOccurs="0" maxOccurs="unbounded"' : optional ? ' minOccurs="0"' : '';
  const attributes = `name="${name}"${occurs}`;
  const value = branches.length === 1 ? (branches[0] as Schema) : schema;
  const named = value.$id && NAMED_TYPES[value.$id] ? `tns:${value.$id}` : builtin(value);
  if (named) {
    const doc = documentation(schema, pad);
    return doc ? `${pad}<xs:element ${attributes} type="${named}">\n${doc}${pad}</xs:element>\n` : `${pad}<xs:element ${attributes} type="${named}"/>\n`;
  }
  let body: string;
  if (value[Kind] === 'Object') {
    body = sequence(value.properties ?? {}, `${pad}  `);
  } else if (value[Kind] === 'Array') {
    const item = element(itemName(name), value.items as Schema, `${pad}      `, true);
    body = `${pad}  <xs:complexType>\n${pad}    <xs:sequence>\n${item}${pad}    </xs:sequence>\n${pad}  </xs:complexType>\n`;
  } else if (value[Kind] === 'Union' && branches.every((b) => b[Kind] === 'Literal')) {
    const values = branches.map((b) => `${pad}      <xs:enumeration value="${escape(String(b.const))}"/>\n`).join('');
    body = `${pad}  <xs:simpleType>\n${pad}    <xs:restriction base="xs:string">\n${values}${pad}    </xs:restriction>\n${pad}  </xs:simpleType>\n`;
  } else {
    throw new Error(`no XSD rendering for ${String(value[Kind])} at ${name}`);
  }
  return `${pad}<xs:element ${attributes}>\n${documentation(schema, pad)}${body}${pad}</xs:element>\n`;
}

export function renderXsd(): string {
  const named = Object.entries(NAMED_TYPES).map(([name, schema]) => sequence((schema as Schema).properties ?? {}, '  ').replace('<xs:complexType>', `<xs:complexType name="${name}">`));
  const operations = Object.entries(OPERATIONS).flatMap(([name, { request, response }]) => [
    element(name, request as Schema, '  '),
    element(`${name}Response`, response as Schema, '  '),
  ]);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="${SOAP_SERVICE_NS}" targetNamespace="${SOAP_SERVICE_NS}" elementFormDefault="qualified">\n` +
    '  <xs:annotation><xs:documentation>LGSP gateway, SOAP front door for one-stop systems. Rendered from src/soap/messages.ts by npm run schemas; do not edit by hand. ' +
    'Names are those of the JSON API (/v1); text is UTF-8 and may be Vietnamese anywhere.</xs:documentation></xs:annotation>\n' +
    named.join('') +
    operations.join('') +
    element('gatewayFault', GatewayFault as Schema, '  ') +
    '</xs:schema>\n'
  );
}
