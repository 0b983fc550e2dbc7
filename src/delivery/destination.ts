// A destination turns claimed outbound messages into calls to one partner system.
import type { ManifestSignature } from '../audit/call-manifest.js';
import type { SignatureRecord } from '../crypto/partner-signature.js';
import type { OutboundMessage } from '../store/messages.js';

/** What was sent for one message: its bytes (kept for the auditors' log) and the gateway's signature of them, or of the call's manifest. */
export interface SentItem {
  sentBody?: Buffer;
  signature?: SignatureRecord | ManifestSignature;
}

export type ItemOutcome =
  | ({ result: 'delivered'; note?: string } & SentItem)
  | ({ result: 'retry'; error: string; /** The partner's Retry-After, if it sent one. */ retryAfterMs?: number } & SentItem)
  | ({ result: 'refused'; error: string } & SentItem);

export interface Destination {
  /** How many messages one call may carry. */
  readonly maxBatch: number;
  /** The service name written in the message log for an outbound record. */
  endpoint(message: OutboundMessage): string;
  /** Delivers all messages (which share a batch key) and says what became of each; never throws for a delivery failure. */
  deliver(messages: OutboundMessage[]): Promise<Map<string, ItemOutcome>>;
  close?(): Promise<void>;
}
