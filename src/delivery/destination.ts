// A destination turns claimed outbound messages into calls to one partner system.
import type { OutboundMessage } from '../store/messages.js';

export type ItemOutcome =
  | { result: 'delivered'; note?: string; sentSha256?: string }
  | { result: 'retry'; error: string; sentSha256?: string }
  | { result: 'refused'; error: string; sentSha256?: string };

export interface Destination {
  /** How many messages one call may carry. */
  readonly maxBatch: number;
  /** The service name written in the message log for an outbound record. */
  endpoint(message: OutboundMessage): string;
  /** Delivers all messages (which share a batch key) and says what became of each; never throws for a delivery failure. */
  deliver(messages: OutboundMessage[]): Promise<Map<string, ItemOutcome>>;
  close?(): Promise<void>;
}
