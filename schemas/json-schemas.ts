// The JSON Schema files published for partners, rendered from the TypeBox model.
import { Dossier, DossierEvent } from './dossier.js';

const DRAFT = 'http://json-schema.org/draft-07/schema#';

export function canonicalSchemaFiles(): Record<string, string> {
  const render = (id: string, schema: object) => JSON.stringify({ $schema: DRAFT, ...schema, $id: id }, null, 2) + '\n';
  return {
    'dossier.schema.json': render('https://lgsp.gateway/schemas/dossier.schema.json', Dossier),
    'dossier-event.schema.json': render('https://lgsp.gateway/schemas/dossier-event.schema.json', DossierEvent),
  };
}
