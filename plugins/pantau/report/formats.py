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
