// vnp_SecureHash against an independent implementation: the signed strings are written out by hand
// here, and /usr/bin/openssl computes their HMAC-SHA512. The sorting and encoding are checked
// against the example URL of VNPay's own documentation.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hashData, pipeHash, secureHash, verify, verifyPipe } from '../../adapters/payment/vnpay/secure-hash.js';

const SECRET = 'TESTSECRETKEY0123456789ABCDEFGHI';

function opensslHmac(data: string, secret: string): string {
  const out = execFileSync('openssl', ['dgst', '-sha512', '-hmac', secret], { input: data }).toString('utf8').trim();
  const hex = out.split(/\s+/).at(-1) ?? '';
  expect(hex).toMatch(/^[0-9a-f]{128}$/);
  return hex;
}

// https://sandbox.vnpayment.vn/apis/docs/huong-dan-tich-hop/ and
// https://sandbox.vnpayment.vn/apis/docs/chuyen-doi-thuat-toan/changeTypeHash.html ("URL thanh toán
// chuyển hướng mà hệ thống merchant tạo đầy đủ có dạng"). Its hash was made with DEMOV210's secret,
// which VNPay does not publish, so the page pins the signed string, not the HMAC.
const DOCUMENTED_URL =
  'https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?vnp_Amount=1806000&vnp_Command=pay&vnp_CreateDate=20210801153333&vnp_CurrCode=VND&vnp_IpAddr=127.0.0.1&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+don+hang+%3A5&vnp_OrderType=other&vnp_ReturnUrl=https%3A%2F%2Fdomainmerchant.vn%2FReturnUrl&vnp_TmnCode=DEMOV210&vnp_TxnRef=5&vnp_Version=2.1.0&vnp_SecureHash=3e0d61a0c0534b2e36680b3f7277743e8784cc4e1d68fa7d276e79c23be7d6318d338b477910a27992f5057bb1582bd44bd82ae8009ffaf6d141219218625c42';

describe("VNPay's documented payment URL", () => {
  const url = new URL(DOCUMENTED_URL);
  const params = Object.fromEntries(url.searchParams);
  const signed = url.search.slice(1).replace(/&vnp_SecureHash=[0-9a-f]+$/, '');

  it('is exactly the sorted, encoded query of its own parameters', () => {
    // Shuffled, so that the order comes from hashData and not from the URL.
    const shuffled = Object.fromEntries(Object.entries(params).reverse());
    expect(hashData(shuffled)).toBe(signed);
    expect(params.vnp_OrderInfo).toBe('Thanh toan don hang :5');
    expect(params.vnp_Amount).toBe('1806000'); // 18 060 VND × 100
  });

  it('is signed as openssl signs the same string', () => {
    expect(secureHash(params, SECRET)).toBe(opensslHmac(signed, SECRET));
    expect(verify({ ...params, vnp_SecureHash: opensslHmac(signed, SECRET) }, SECRET)).toBe(true);
  });
});

describe('secureHash', () => {
  const params = {
    vnp_Version: '2.1.0',
    vnp_TxnRef: '0b6f3c1e-2d4a-4f7e-9a51-c3d2e1f0a9b8',
    vnp_OrderInfo: 'Lệ phí hồ sơ 000.00.01.H12-260101-0001',
    vnp_ReturnUrl: 'https://dvc.example.vn/thanh-toan/ket-qua?ma=1&b=a b',
    vnp_Amount: '5000000',
    vnp_BankCode: '',
    vnp_Note: "a~b*c(d)!'",
    vnp_SecureHashType: 'HmacSHA512',
  };
  // By hand: names sorted; UTF-8 percent-encoding in upper case, space as +, ~ * ( ) ! ' encoded as
  // PHP's urlencode() does; the empty vnp_BankCode and vnp_SecureHashType left out.
  const expected =
    'vnp_Amount=5000000' +
    '&vnp_Note=a%7Eb%2Ac%28d%29%21%27' +
    '&vnp_OrderInfo=L%E1%BB%87+ph%C3%AD+h%E1%BB%93+s%C6%A1+000.00.01.H12-260101-0001' +
    '&vnp_ReturnUrl=https%3A%2F%2Fdvc.example.vn%2Fthanh-toan%2Fket-qua%3Fma%3D1%26b%3Da+b' +
    '&vnp_TxnRef=0b6f3c1e-2d4a-4f7e-9a51-c3d2e1f0a9b8' +
    '&vnp_Version=2.1.0';

  it('signs the sorted, encoded query', () => {
    expect(hashData(params)).toBe(expected);
    expect(secureHash(params, SECRET)).toBe(opensslHmac(expected, SECRET));
  });

  it('leaves vnp_SecureHash out of what it signs', () => {
    expect(secureHash({ ...params, vnp_SecureHash: 'ab'.repeat(64) }, SECRET)).toBe(secureHash(params, SECRET));
  });

  it('sorts by code unit, not by locale', () => {
    expect(hashData({ vnp_b: '1', vnp_B: '2', vnp_a: '3' })).toBe('vnp_B=2&vnp_a=3&vnp_b=1');
  });
});

describe('verify', () => {
  const params = { vnp_Amount: '1000000', vnp_TxnRef: 'P1', vnp_ResponseCode: '00', vnp_TmnCode: 'TESTTMN1' };
  const signed = { ...params, vnp_SecureHash: opensslHmac('vnp_Amount=1000000&vnp_ResponseCode=00&vnp_TmnCode=TESTTMN1&vnp_TxnRef=P1', SECRET) };

  it('accepts what openssl signed, in either case of hex', () => {
    expect(verify(signed, SECRET)).toBe(true);
    expect(verify({ ...signed, vnp_SecureHash: signed.vnp_SecureHash.toUpperCase() }, SECRET)).toBe(true);
  });

  it('refuses a changed parameter, an added one, a removed one, another secret, no hash', () => {
    expect(verify({ ...signed, vnp_Amount: '1000100' }, SECRET)).toBe(false);
    expect(verify({ ...signed, vnp_BankCode: 'NCB' }, SECRET)).toBe(false);
    const { vnp_ResponseCode: _dropped, ...removed } = signed;
    expect(verify(removed, SECRET)).toBe(false);
    expect(verify(signed, `${SECRET}x`)).toBe(false);
    expect(verify(params, SECRET)).toBe(false);
    expect(verify({ ...signed, vnp_SecureHash: signed.vnp_SecureHash.slice(2) }, SECRET)).toBe(false);
  });
});

describe('pipeHash (querydr)', () => {
  // The documented request order: vnp_RequestId|vnp_Version|vnp_Command|vnp_TmnCode|vnp_TxnRef|
  // vnp_TransactionDate|vnp_CreateDate|vnp_IpAddr|vnp_OrderInfo.
  const fields = ['a1b2', '2.1.0', 'querydr', 'TESTTMN1', 'P1', '20261123100000', '20261123110000', '10.0.0.5', 'Truy van giao dich P1'];
  const data = 'a1b2|2.1.0|querydr|TESTTMN1|P1|20261123100000|20261123110000|10.0.0.5|Truy van giao dich P1';

  it('signs the fields joined with | as openssl does, absent ones empty', () => {
    expect(pipeHash(fields, SECRET)).toBe(opensslHmac(data, SECRET));
    expect(pipeHash(['a', undefined, 'c'], SECRET)).toBe(opensslHmac('a||c', SECRET));
  });

  it('refuses a changed field or secret', () => {
    const hash = opensslHmac(data, SECRET);
    expect(verifyPipe(fields, hash, SECRET)).toBe(true);
    expect(verifyPipe(fields.map((f) => (f === 'P1' ? 'P2' : f)), hash, SECRET)).toBe(false);
    expect(verifyPipe(fields, hash, `${SECRET}x`)).toBe(false);
  });
});
