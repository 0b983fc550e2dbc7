// The client-credentials token, kept once for the adapters that need one: one request shared by
// concurrent callers, a token kept until 80 % of its lifetime, forgotten after a 401, refusals sanitised.
import { describe, expect, it } from 'vitest';
import { OAuthTokenCache, type TokenReply } from '../../adapters/shared/oauth-token-cache.js';

const creds = { tokenUrl: 'http://127.0.0.1:1/token', clientId: 'gateway', clientSecret: 's3cret-value' };

function cache(replies: TokenReply[]) {
  const sent: { url: string; body: string; headers: Record<string, string>; context: string }[] = [];
  const tokens = new OAuthTokenCache<string>(creds, (url, body, headers, context) => {
    sent.push({ url: url.toString(), body: body.toString(), headers, context });
    return Promise.resolve(replies.shift() ?? { kind: 'unavailable', reason: 'no more replies' });
  });
  return { tokens, sent };
}

const issued = (value: string, expiresIn?: number): TokenReply => ({ kind: 'answer', status: 200, body: { access_token: value, ...(expiresIn ? { expires_in: expiresIn } : {}) } });

describe('OAuth client-credentials token cache', () => {
  it('asks once with HTTP Basic for concurrent callers and keeps the token', async () => {
    const { tokens, sent } = cache([issued('T1', 3600)]);
    expect(await Promise.all([tokens.current('trace-a'), tokens.current('trace-b')])).toEqual(['T1', 'T1']);
    expect(await tokens.current('trace-c')).toBe('T1');
    expect(sent).toEqual([
      {
        url: creds.tokenUrl,
        body: 'grant_type=client_credentials',
        headers: { authorization: `Basic ${Buffer.from('gateway:s3cret-value').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        context: 'trace-a',
      },
    ]);
    expect(tokens.held).toBe('T1');
  });

  it('asks again after a 401 forgot the token, but not for a token already replaced', async () => {
    const { tokens, sent } = cache([issued('T1'), issued('T2')]);
    expect(await tokens.current('')).toBe('T1');
    tokens.forget('T0');
    expect(await tokens.current('')).toBe('T1');
    tokens.forget('T1');
    expect(await tokens.current('')).toBe('T2');
    expect(sent).toHaveLength(2);
  });

  it('is unavailable, with the secret masked, when the token is refused or cannot be asked for', async () => {
    const { tokens } = cache([
      { kind: 'answer', status: 401, body: { error: 'invalid_client', error_description: 'bad secret s3cret-value' } },
      { kind: 'answer', status: 200, body: { token_type: 'Bearer' } },
      { kind: 'unavailable', reason: 'HTTP 503' },
    ]);
    expect(await tokens.current('')).toEqual({ kind: 'unavailable', reason: 'token refused (HTTP 401): bad secret [redacted]' });
    expect(await tokens.current('')).toEqual({ kind: 'unavailable', reason: 'token refused (HTTP 200)' });
    expect(await tokens.current('')).toEqual({ kind: 'unavailable', reason: 'token request failed: HTTP 503' });
    expect(tokens.held).toBeUndefined();
  });
});
