// Writes the canonical model's JSON Schemas (schemas/json/*.schema.json) and the SOAP front door's
// XSD (schemas/soap/one-stop.xsd) from the TypeBox definitions, which stay the single source. A test
// fails when the written files are out of date.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { canonicalSchemaFiles } from '../schemas/json-schemas.js';
import { renderXsd } from '../src/soap/xsd.js';

const outDir = fileURLToPath(new URL('../schemas/json/', import.meta.url));
await mkdir(outDir, { recursive: true });
for (const [file, text] of Object.entries(canonicalSchemaFiles())) {
  await writeFile(new URL(file, `file://${outDir}`), text);
  process.stdout.write(`wrote schemas/json/${file}\n`);
}
await writeFile(new URL('../schemas/soap/one-stop.xsd', import.meta.url), renderXsd());
process.stdout.write('wrote schemas/soap/one-stop.xsd\n');
