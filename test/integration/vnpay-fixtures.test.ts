// VNPay's IPN golden fixture (test/fixtures/vnpay/ipn.json, written from the public vnpay_ipn.php
// sample, vnp_SecureHash by `openssl dgst -sha512 -hmac`) replayed through the gateway's provider;
// the answers are checked against the sample's RspCode table.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VnpayProvider } from '../../adapters/payment/vnpay/provider.js';
import type { NotificationOutcome } from '../../src/payments/provider.js';

interface IpnFixture {
  secret: string;
  params: Record<string, string>;
  hashData: string;
  vnp_SecureHash: string;
  answers: Record<NotificationOutcome, { RspCode: string }>;
}

const ipn = JSON.parse(readFileSync(new URL('../fixtures/vnpay/ipn.json', import.meta.url), 'utf8')) as IpnFixture;
const provider = new VnpayProvider({ payUrl: 'https://sandbox.example/vpcpay.html', apiUrl: 'https://sandbox.example/api', tmnCode: ipn.params.vnp_TmnCode ?? '', hashSecret: ipn.secret });
const notify = (query: Record<string, string>) => provider.parseNotification({ method: 'GET', query, body: Buffer.alloc(0), contentType: undefined });

describe("VNPay's IPN, as the public sample signs and answers it", () => {
  it('the vector is openssl dgst -sha512 -hmac over the hash data', () => {
    const out = execFileSync('openssl', ['dgst', '-sha512', '-hmac', ipn.secret], { input: ipn.hashData, encoding: 'utf8' });
    expect(out.trim().split(' ').at(-1)).toBe(ipn.vnp_SecureHash);
  });

  it('is verified and read: the amount in VND, paid when both codes are 00', () => {
    expect(notify({ ...ipn.params, vnp_SecureHash: ipn.vnp_SecureHash })).toMatchObject({
      kind: 'valid',
      paymentId: ipn.params.vnp_TxnRef,
      amount: Number(ipn.params.vnp_Amount) / 100,
      paid: true,
      providerTxnId: ipn.params.vnp_TransactionNo,
    });
    // vnp_SecureHashType, which older senders add, is not signed.
    expect(notify({ ...ipn.params, vnp_SecureHashType: 'HmacSHA512', vnp_SecureHash: ipn.vnp_SecureHash }).kind).toBe('valid');
  });

  it('a changed parameter is refused, and every verdict is answered with the RspCode of the sample', () => {
    expect(notify({ ...ipn.params, vnp_Amount: '25000000', vnp_SecureHash: ipn.vnp_SecureHash }).kind).toBe('invalid-signature');
    for (const [outcome, expected] of Object.entries(ipn.answers) as [NotificationOutcome, { RspCode: string }][]) {
      const answer = provider.answer(outcome, undefined);
      expect(answer.status, outcome).toBe(200);
      expect(JSON.parse(answer.body), outcome).toMatchObject({ RspCode: expected.RspCode, Message: expect.any(String) });
    }
  });
});
