// Attachment links for the national portal: the portal cannot present an API key, so the link itself
// carries an expiry and an HMAC over the file id and that expiry.
import { createHmac, timingSafeEqual } from 'node:crypto';

export class FileLinkSigner {
  constructor(
    private readonly secret: string,
    private readonly publicBaseUrl: string,
    private readonly ttlSeconds: number,
  ) {}

  url(fileId: string, now = Date.now()): string {
    const expires = Math.floor(now / 1000) + this.ttlSeconds;
    return `${this.publicBaseUrl}/files/${fileId}?expires=${expires}&signature=${this.mac(fileId, expires)}`;
  }

  verify(fileId: string, expires: number, signature: string, now = Date.now()): boolean {
    if (!Number.isInteger(expires) || expires < Math.floor(now / 1000)) return false;
    const expected = Buffer.from(this.mac(fileId, expires));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private mac(fileId: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${fileId}.${expires}`).digest('base64url');
  }
}
