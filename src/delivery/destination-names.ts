// The names under which outbound messages are stored (outbound_messages.destination) and delivered:
// one spelling each, shared by the wings that write messages and the processor that routes them.
export const NATIONAL_PORTAL = 'national-portal';
export const WEBHOOK = 'webhook';
export const EDXML = 'edxml';
export const POSTAL = 'postal';
