// The portal's wire fields that carry a citizen's personal data: the gateway's log redaction is built
// from this list (src/logging/personal-data.ts), so that only the adapter spells them. DiaChi is the address as
// one-stop systems name it; the gateway does not send it, but an item carrying it may still be logged.
export const PERSONAL_WIRE_FIELDS = ['ChuHoSo', 'SoDienThoai', 'Fax', 'SoGiayToChuHoSo', 'DinhDanhCHS', 'Email', 'DiaChi', 'MaDoiTuong'] as const;
