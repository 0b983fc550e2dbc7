// Partner webhooks: the one-stop system learns what became of each message it sent. One call per
// notification; 2xx is delivered, 408/429/5xx and network failures are retried, other 4xx are final.
import { request } from 'undici';
import { retryAfterMs } from '../core/retry-after.js';
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
      const status = response.statusCode;
      if (status >= 200 && status < 300) return { result: 'delivered' };
      if (status === 408 || status === 429 || status >= 500) {
        const asked = retryAfterMs(response.headers['retry-after']);
        return { result: 'retry', error: `webhook answered HTTP ${status}`, ...(asked !== undefined ? { retryAfterMs: asked } : {}) };
      }
      return { result: 'refused', error: `webhook answered HTTP ${status}` };
    } catch (error) {
      return { result: 'retry', error: `webhook unreachable: ${(error as { code?: string }).code ?? 'network error'}` };
    }
  }
}
