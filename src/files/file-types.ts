// The attachment types the gateway stores, with the leading bytes each must start with: a declared
// type that the bytes contradict is refused, so a script cannot travel as a "PDF".
const ZIP = [0x50, 0x4b, 0x03, 0x04];
const OLE = [0xd0, 0xcf, 0x11, 0xe0];

export const ALLOWED_FILE_TYPES: Record<string, number[][]> = {
  'application/pdf': [[0x25, 0x50, 0x44, 0x46]],
  'image/jpeg': [[0xff, 0xd8, 0xff]],
  'image/png': [[0x89, 0x50, 0x4e, 0x47]],
  'image/tiff': [[0x49, 0x49, 0x2a, 0x00], [0x4d, 0x4d, 0x00, 0x2a]],
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': [ZIP],
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': [ZIP],
  'application/vnd.oasis.opendocument.text': [ZIP],
  'application/msword': [OLE],
  'application/vnd.ms-excel': [OLE],
};

export function sniffMatches(contentType: string, bytes: Uint8Array): boolean {
  const signatures = ALLOWED_FILE_TYPES[contentType];
  return !!signatures && signatures.some((sig) => sig.every((b, i) => bytes[i] === b));
}
