// OpenAPI generated from the route schemas, served at /docs/json, with Swagger UI at /docs. What the
// schemas cannot say (problem+json refusals, security, non-JSON bodies, examples) is added in one
// place, src/plugins/openapi-document.ts.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { SECURITY_SCHEMES, documentedSchema, honestDocument } from './openapi-document.js';

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'LGSP integration gateway',
          version: '0.1.0',
          description:
            'The provincial gateway between one-stop software, the national public service portal and partners. ' +
            'Every refusal on /v1 is application/problem+json with a stable `code`.',
        },
        components: { securitySchemes: SECURITY_SCHEMES },
        security: [{ apiKey: [] }],
      },
      transform: ({ schema, url }) => ({ schema: documentedSchema(schema) as typeof schema, url }),
      transformObject: (document) => honestDocument('openapiObject' in document ? document.openapiObject : document.swaggerObject),
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'docs' },
);
