// OpenAPI generated from the route schemas, served at /docs/json, with Swagger UI at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';

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
        components: { securitySchemes: { apiKey: { type: 'apiKey', name: 'x-api-key', in: 'header' } } },
        security: [{ apiKey: [] }],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'docs' },
);
