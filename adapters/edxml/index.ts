// The edXML adapter (QCVN 102:2016): model, strict reader, writer, streaming split, signature,
// push client and a receiving-system simulator.
export * from './model.js';
export { EdxmlRefused, parseEnvelope, MAX_ENVELOPE_BYTES } from './reader.js';
export { writeEnvelope, writePackage, packageChunks, type OutgoingAttachment } from './writer.js';
export { splitPackage, type SplitPackage, type ReceivedAttachment, type SplitLimits } from './split.js';
export { signEnvelope, writeSignedEnvelope, verifyEnvelope, checkAttachments, EdxmlSignatureRefused, type VerifiedEnvelope } from './signature.js';
export { startEdxmlReceiver, type EdxmlReceiver, type EdxmlReceiverOptions, type ReceivedByEndpoint } from './simulator.js';
