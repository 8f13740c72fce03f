"""Indonesian formats through Babel `id_ID`, as the circular reference measured them.

`30 November 2023`, `Rp1.234.567.890` (no space after Rp, PUEBI), bare `1.234.567.890` under a
`(Rp)` header, `56,34%`. Kept in one module so every number in the PDF goes through the same rules.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "id_ID"


def tanggal(d: date | None) -> str:
    """`30 November 2023` (long date, no zero padding)."""
    return format_date(d, "long", locale=LOCALE) if d else "………"


def tanggal_caps(d: date | None) -> str:
    """`30 NOVEMBER 2023` for the caps lampiran heading."""
    return tanggal(d).upper()


def _whole(value: Decimal | float | int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def angka(value: Decimal | float | int | None) -> str:
    """A whole number with thousands dots: `1.234.567.890` (table cells under `(Rp)`)."""
    if value is None:
        return "–"
    return format_decimal(_whole(value), format="#,##0", locale=LOCALE)


def rupiah(value: Decimal | float | int | None) -> str:
    """`Rp1.234.567.890`: whole rupiah, no space after Rp (PUEBI)."""
    if value is None:
        return "–"
    return "Rp" + angka(value)


def persen(value: Decimal | float | int | None, digits: int = 2) -> str:
    """`56,34%` (two decimals, comma, no space before %)."""
    if value is None:
        return "–"
    q = Decimal(1).scaleb(-digits)
    v = Decimal(str(value)).quantize(q, rounding=ROUND_HALF_UP)
    return format_decimal(v, format="#,##0." + "0" * digits, locale=LOCALE) + "%"


def ukuran(value: Decimal | float | int | None, unit: str | None) -> str:
    """A measured/target figure in its unit: percent, rupiah, days or a plain count."""
    if unit in (None, "%", "persen", "pct"):
        return persen(value)
    if unit in ("Rp", "rupiah", "IDR"):
        return rupiah(value)
    if value is None:
        return "–"
    v = Decimal(str(value))
    text = angka(v) if v == v.to_integral_value() else format_decimal(v, format="#,##0.##", locale=LOCALE)
    return f"{text} {unit}".strip()


# ---------------------------------------------------------------------------------------------
# Human labels for API codes. The circular is read by PD staff and the Sekda, not by API users:
# `BUYER_CONFIRMED` means nothing to them and, set in a narrow column, used to be broken mid-word.
# Per field because the same code means different things (COMPLETED order vs COMPLETED delivery).
# A Pemda config may add or replace labels under `label_kode` (same shape); unknown codes get a
# readable fallback (`LOST_IN_TRANSIT` → "lost in transit"), never the raw token.
STATUS_LABELS: dict[str, dict[str, str]] = {
    "status_pkt": {
        "ON_PROCESS": "dalam proses",
        "ON_ADDENDUM": "dalam proses adendum",
        "COMPLETED": "pesanan selesai",
        "PAYMENT_OUTSIDE_SYSTEM": "dibayar di luar sistem",
        "CANCELLED": "dibatalkan",
        "WAITING_PPK_REVIEW": "menunggu tinjauan PPK",
        "ON_NEGOTIATION": "dalam negosiasi",
        "WAITING_SELLER_CONFIRMATION": "menunggu konfirmasi penyedia",
        "ESIGN_IN_PROGRESS": "proses tanda tangan elektronik",
        "PAKET PROSES": "paket dalam proses",
        "PAKET SELESAI": "paket selesai",
        "SELESAI": "pemilihan selesai",
        "TERINISIASI": "terinisiasi, belum diumumkan",
        "TERUMUMKAN": "terumumkan",
    },
    "status_pengiriman": {
        "DRAFT": "pengiriman belum diproses",
        "PROCESSING": "pengiriman disiapkan",
        "SHIPPING": "dalam pengiriman",
        "DELIVERED": "diterima, menunggu konfirmasi pesanan",
        "BUYER_CONFIRM": "menunggu konfirmasi pembeli",
        "BUYER_CONFIRMED": "dikonfirmasi pembeli",
        "COMPLETED": "diserahterimakan, belum dibayar",
    },
    "status_paket": {
        "MELAKUKAN_PENGIRIMAN_DAN_PENERIMAAN": "pengiriman dan penerimaan",
        "PROSES_KONTRAK_PPK": "proses kontrak PPK",
    },
}
COMPONENT_LABELS: dict[str, str] = {
    "sirup": "SiRUP", "e_tendering": "E-Tendering", "non_e_tendering": "Non E-Tendering",
    "e_purchasing": "E-Purchasing", "toko_daring": "Toko Daring", "e_kontrak": "E-Kontrak",
    "sdm_pbj": "SDM PBJ", "kematangan_ukpbj": "Kematangan UKPBJ",
}


def humanize_code(code: str) -> str:
    """Readable fallback for a code no table knows: underscores become spaces, an all-caps code
    becomes lower case (`LOST_IN_TRANSIT` → `lost in transit`); other text is kept as written."""
    text = " ".join(str(code).replace("_", " ").split())
    return text.lower() if text.isupper() else text


def status_label(field: str, code: str | None, extra: dict | None = None) -> str | None:
    """Label of one status value of `field` (status_pkt, status_pengiriman, status_paket)."""
    if code is None or not str(code).strip():
        return None
    key = str(code).strip().upper()
    own = {str(k).upper(): str(v) for k, v in ((extra or {}).get(field) or {}).items()}
    return own.get(key) or STATUS_LABELS.get(field, {}).get(key) or humanize_code(str(code).strip())


def component_label(code: str, extra: dict | None = None) -> str:
    """`sdm_pbj` → `SDM PBJ`; an unknown component gets the readable fallback."""
    own = (extra or {}).get("komponen") or {}
    return str(own.get(code) or COMPONENT_LABELS.get(code) or humanize_code(code))


def hari(n: int) -> str:
    return f"{angka(n)} hari"
