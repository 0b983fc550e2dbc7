// Partner webhooks: the one-stop system learns what became of each message it sent. One call per
// notification; 2xx is delivered, 408/429/5xx and network failures are retried, other 4xx are final.
import { request } from 'undici';
import { connectionFailure, httpOutcome } from '../core/http-outcome.js';
import { JWS_HEADER } from '../crypto/jws.js';
import type { OutboundSigner } from '../crypto/outbound-signer.js';
import { outboundTraceparent } from '../observability/trace-context.js';
import type { PartnerRegistry } from '../partners/registry.js';
import type { OutboundMessage } from '../store/messages.js';
import type { Destination, ItemOutcome } from './destination.js';

export class WebhookDestination implements Destination {
  readonly maxBatch = 1;

  constructor(
    private readonly registry: PartnerRegistry,
    private readonly timeoutMs: number,
    private readonly signer: OutboundSigner,
  ) {}

  endpoint(message: OutboundMessage): string {
    return `webhook:${message.partnerId}`;
  }

  async deliver(messages: OutboundMessage[]): Promise<Map<string, ItemOutcome>> {
    const outcomes = new Map<string, ItemOutcome>();
    for (const message of messages) outcomes.set(message.id, await this.send(message));
    return outcomes;
  }

  private async send(message: OutboundMessage): Promise<ItemOutcome> {
    const url = this.registry.get(message.partnerId)?.webhookUrl;
    if (!url) return { result: 'refused', error: 'the partner has no webhook URL any more' };
    const body = Buffer.from(JSON.stringify(message.payload));
    const token = this.signer.jws(body);
    const headers = { 'content-type': 'application/json', 'x-lgsp-message-id': message.id, [JWS_HEADER]: token, traceparent: outboundTraceparent(message.traceparent) };
    return { ...(await this.post(url, headers, body)), sentBody: body, signature: this.signer.record(body, token) };
  }

  private async post(url: string, headers: Record<string, string>, body: Buffer): Promise<ItemOutcome> {
    try {
      const response = await request(url, {
        method: 'POST',
        headers,
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      await response.body.dump();
      const outcome = httpOutcome(response.statusCode, response.headers['retry-after']);
      if (outcome.kind === 'ok') return { result: 'delivered' };
      const error = `webhook answered ${outcome.reason}`;
      if (outcome.kind === 'refused') return { result: 'refused', error };
      return { result: 'retry', error, ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}) };
    } catch (error) {
      return { result: 'retry', error: `webhook unreachable: ${connectionFailure(error).reason}` };
    }
  }
}
