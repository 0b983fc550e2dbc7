// The port through which committed messages reach the queue: BullMQ in the gateway, a plain object in
// unit tests. Kept apart from the processor so that routes and wings depend on the port, not on delivery.
import type { Lane } from '../store/messages.js';

export interface Enqueuer {
  enqueue(id: string, lane: Lane, delayMs?: number): Promise<void>;
  /** Many messages at once (a committed acceptance group), where the queue can. */
  enqueueMany?(messages: readonly { id: string; lane: Lane; batch?: string }[]): Promise<void>;
}
