// PEM files routinely hold several blocks (a certificate and its chain, several CRLs); node:crypto reads
// only the first, so the blocks are split here and handed on as DER.
const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** The DER of every PEM block with this label (e.g. `CERTIFICATE`, `X509 CRL`), in file order. */
export function pemBlocks(text: string, label: string): Buffer[] {
  const blocks: Buffer[] = [];
  for (const match of text.matchAll(BLOCK)) {
    if (match[1] === label && match[2] !== undefined) blocks.push(Buffer.from(match[2].replace(/\s+/g, ''), 'base64'));
  }
  return blocks;
}

export function toPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
