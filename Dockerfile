# syntax=docker/dockerfile:1
# Production image: gateway, worker and simulators are the same image, chosen by PROCESS_ROLES.
# The embedded defaults of `npm start` (PGlite, a private redis-server, dev keys) are not for
# containers: set DATABASE_URL and REDIS_URL (see docker/compose.yaml).
# Node.js 24, the current LTS; the code also runs on 20.19+, which CI keeps testing.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so source edits do not invalidate the npm ci layer.
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# The auditors' console is static files that tsc does not emit; the gateway serves them from src/console.
COPY --from=build /app/src/console ./src/console
# The SOAP front door serves its WSDL and XSD from schemas/soap, also not emitted by tsc.
COPY --from=build /app/schemas/soap ./schemas/soap
# The image's unprivileged "node" user owns only the data folder; the code stays read-only to it.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# node's built-in fetch: the slim image has no curl, and installing one only for this is waste.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/server.js"]
