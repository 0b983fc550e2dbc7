// The platform's wire fields that carry the payer's personal data (ThongTinBienLai): the gateway's log
// redaction is built from this list (src/logging/personal-data.ts), so that only the adapter spells them.
export const PERSONAL_WIRE_FIELDS = ['HoTenNguoiNop', 'SoGiayToNguoiNop', 'DiaChiNguoiNop'] as const;
