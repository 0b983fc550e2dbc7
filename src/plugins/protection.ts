// Limits that keep one partner, or one noisy address, from taking the gateway down for the others:
// request rates per partner (per source address before authentication), shared through Redis so that
// they hold across every API instance (counted locally between syncs: shared-rate-store.ts), and
// load shedding that answers 503 before the process drowns.
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { Problem } from '../core/problems.js';
import { SharedRateCounts, redisCounter, sharedRateStore } from './shared-rate-store.js';

export interface ProtectionOptions {
  redis: Redis | undefined;
  redisPrefix: string;
  partnerPerMinute: number;
  anonymousPerMinute: number;
  /** 0 turns load shedding off. */
  maxEventLoopDelayMs: number;
  maxEventLoopUtilization: number;
  retryAfterSeconds: number;
  /** How often counts are pushed to Redis (default 200 ms); 0 only when a key's batch is full and at close (tests). */
  rateSyncIntervalMs?: number;
}

/** Probes must answer while the gateway sheds load or a client floods it: they are how operators see it. */
const UNLIMITED = new Set(['/healthz', '/readyz']);

/** Calls carrying a session; its login stays on the anonymous budget, as credentials are guessed there. */
const PORTAL_COMPATIBLE_CALL = /^\/portal-compatible\/(integration|sharing)(\?|$)/;

const keyOf = (request: FastifyRequest): string => (request.partner ? `partner:${request.partner.id}` : `address:${request.ip}`);

export default fp<ProtectionOptions>(
  async (app, options) => {
    // Fastify's own answer while closing is plain JSON (return503OnClosing is off in app.ts): this one
    // is thrown to the route's error handler, so every road answers in its own terms.
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onRequest', async (_request, reply) => {
      if (!closing) return;
      reply.header('connection', 'close');
      throw new Problem('unavailable', 'The gateway instance is shutting down; retry, another instance will answer');
    });
    if (options.maxEventLoopDelayMs > 0) {
      await app.register(underPressure, {
        maxEventLoopDelay: options.maxEventLoopDelayMs,
        maxEventLoopUtilization: options.maxEventLoopUtilization,
        sampleInterval: 200,
        retryAfter: options.retryAfterSeconds,
        exposeStatusRoute: false,
        // Returning nothing lets the request through; a rejected promise goes to the route's error
        // handler, so the SOAP front door answers a Fault and the portal-compatible endpoint an error_code.
        pressureHandler: ((request: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined) => {
          if (UNLIMITED.has(request.url.split('?')[0]!)) return undefined;
          request.log.warn({ pressure: type, value }, 'shedding load');
          reply.header('retry-after', String(options.retryAfterSeconds));
          return Promise.reject(new Problem('overloaded', `The gateway is overloaded (${type}); retry after ${options.retryAfterSeconds} s`));
        }) as unknown as (request: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined) => void,
      });
    }
    // Counted here and settled with Redis in the background (one counter per key and window, shared
    // by every API replica within the tolerance stated in shared-rate-store.ts and docs/security.md).
    let store: FastifyRateLimitStoreCtor | undefined;
    if (options.redis) {
      const counts = new SharedRateCounts({
        counter: redisCounter(options.redis, `${options.redisPrefix}:rate:`),
        ...(options.rateSyncIntervalMs === undefined ? {} : { syncIntervalMs: options.rateSyncIntervalMs }),
        onRedisState: (error) =>
          error === undefined ? app.log.info('rate limits: Redis answers again, counts shared') : app.log.warn({ err: { message: (error as Error).message } }, 'rate limits: Redis unreachable, counting on this instance only'),
      });
      app.addHook('onClose', () => counts.close());
      store = sharedRateStore(counts);
    }
    await app.register(rateLimit, {
      global: true,
      ...(store ? { store } : {}),
      timeWindow: 60_000,
      // Signed attachment links are fetched anonymously by the national portal, many at a time.
      // Payment providers notify anonymously too (their signature authenticates them). One-stop
      // systems on the portal-compatible endpoint are known by the session in the body, not here.
      max: (request) => (request.partner || request.url.startsWith('/files/') || request.url.startsWith('/v1/payments/notifications/') || PORTAL_COMPATIBLE_CALL.test(request.url) ? options.partnerPerMinute : options.anonymousPerMinute),
      keyGenerator: keyOf,
      allowList: (request) => UNLIMITED.has(request.url.split('?')[0]!),
      // Redis unavailable must not turn into refusing every partner: the limit is a guard, not a gate.
      skipOnError: true,
      errorResponseBuilder: (request, context) =>
        new Problem('rate-limited', `At most ${context.max} requests a minute for ${request.partner ? `partner ${request.partner.id}` : 'this address'}; retry after ${context.after}`),
    });
  },
  { name: 'protection', dependencies: ['auth'] },
);
