"""Value parsers for the LKPP feeds: dates/times, money, ids, flags and free text.

Every parser takes a raw JSON value and returns the typed value or ``None`` for "no value"; it
raises ``ValueError`` when the value is present but cannot be understood, so the caller can keep
NULL and record the original for quarantine (``extra['_unparsed']``) instead of crashing.

Hand-written on purpose: the formats are few and known (sources.md §0.7, §3.12), and a lenient
general-purpose parser (dateutil, pandas.to_datetime) would accept garbage such as ``"1"`` or
``"xx 2025"`` that we want to quarantine, and would treat ``Z`` as UTC (see below).
"""
from __future__ import annotations

import html
import json
import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

#: Naive source times are local time in Jakarta (architecture.md: timestamps are Asia/Jakarta).
SOURCE_TZ = ZoneInfo("Asia/Jakarta")

#: sources.md §6.5 infers that ISO strings ending in ``Z`` carry WIB wall-clock time, not UTC
#: (announcements at "16:00:00.000000Z" match office hours, contract dates are "T00:00:00Z").
#: So a trailing ``Z`` is ignored and the time read as Asia/Jakarta. Flip this to treat ``Z`` as UTC
#: if a live INAPROC comparison ever shows otherwise. Explicit offsets (``+07:00``) are always honoured.
Z_SUFFIX_IS_LOCAL_TIME = True

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"))

_ISO_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[ T](?P<time>\d{2}:\d{2}(?::\d{2})?)(?:\.(?P<frac>\d{1,9}))?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
# "Jul 3, 2025, 12:00:00AM" (SPMK feed) and "May 7, 2021 12:00:00 AM" (INAPROC docs): Java-ish text.
_MONTH_TEXT_RE = re.compile(
    r"^(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4}),?"
    r"(?:\s+(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp][Mm])?)?$"
)
_MONTHS = {
    "jan": 1, "feb": 2, "peb": 2, "mar": 3, "apr": 4, "may": 5, "mei": 5, "jun": 6, "jul": 7,
    "aug": 8, "agu": 8, "agt": 8, "sep": 9, "oct": 10, "okt": 10, "nov": 11, "nop": 11, "dec": 12, "des": 12,
}
_TAG_RE = re.compile(r"<[A-Za-z/!][^>]*>")
# A "<" that a browser would read as the start of markup (tag, end tag, comment, PI).
_MARKUP_START_RE = re.compile(r"<(?=[A-Za-z/!?])")
# Lone UTF-16 surrogates (JSON "\ud800", or invalid UTF-8 bytes decoded with surrogateescape):
# PostgreSQL cannot store them in text or jsonb.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
REPLACEMENT_CHAR = "\ufffd"
_BLOCK_TAGS = {"p", "br", "div", "li", "tr", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6"}
_TRUE = {"true", "t", "1", "yes", "y", "ya"}
_FALSE = {"false", "f", "0", "no", "n", "tidak"}


def is_blank(value: Any) -> bool:
    """None, or a string that is empty once zero-width characters and whitespace are gone."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    # ASCII text holds no zero-width characters: skip the translate (hot path of normalisation)
    return not (value if value.isascii() else value.translate(ZERO_WIDTH)).strip()


def _month_text(s: str) -> datetime:
    """Parse ``"Jul 3, 2025, 12:00:00AM"``-style text (English or Indonesian month abbreviations)."""
    m = _MONTH_TEXT_RE.match(s)
    if not m:
        raise ValueError(f"unrecognised date/time {s!r}")
    month = _MONTHS.get(m["mon"][:3].lower())
    if month is None:
        raise ValueError(f"unknown month in {s!r}")
    hour, minute, sec = int(m["h"] or 0), int(m["m"] or 0), int(m["s"] or 0)
    if m["ampm"]:
        if not 1 <= hour <= 12:
            raise ValueError(f"bad 12-hour clock in {s!r}")
        hour = hour % 12 + (12 if m["ampm"].lower() == "pm" else 0)
    return datetime(int(m["year"]), month, int(m["day"]), hour, minute, sec)


def _iso(s: str) -> datetime:
    """Parse the ISO-like shapes, honouring the Z policy above; fractions beyond µs are cut."""
    m = _ISO_RE.match(s)
    if not m:
        raise ValueError(f"unrecognised date/time {s!r}")
    text = m["date"] + ("T" + m["time"] if m["time"] else "")
    if m["frac"]:
        text += "." + m["frac"][:6].ljust(6, "0")
    tz = m["tz"]
    if tz == "Z":
        tz = None if Z_SUFFIX_IS_LOCAL_TIME else "+00:00"
    return datetime.fromisoformat(text + (tz or ""))


def parse_timestamp(value: Any) -> datetime | None:
    """Any feed date/time → aware datetime in Asia/Jakarta (naive and ``Z`` times are WIB)."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        return _timestamp_text(value, Z_SUFFIX_IS_LOCAL_TIME)
    else:
        raise ValueError(f"not a date/time: {value!r}")
    return dt.replace(tzinfo=SOURCE_TZ) if dt.tzinfo is None else dt.astimezone(SOURCE_TZ)


@lru_cache(maxsize=65_536)
def _timestamp_text(value: str, z_is_local: bool) -> datetime:
    """Text date/time → aware datetime, memoised: a feed repeats the same dates thousands of times
    (tgl_kontrak, "YYYY-MM-DD 00:00:00"), and datetimes are immutable. `z_is_local` is part of the
    key so flipping Z_SUFFIX_IS_LOCAL_TIME is never served a stale answer."""
    s = value.translate(ZERO_WIDTH).strip()
    dt = _iso(s) if s[:1].isdigit() else _month_text(s)
    return dt.replace(tzinfo=SOURCE_TZ) if dt.tzinfo is None else dt.astimezone(SOURCE_TZ)


def parse_date(value: Any) -> date | None:
    """Calendar date in Jakarta; accepts every timestamp shape (time of day is dropped)."""
    if isinstance(value, str) and not is_blank(value):
        return _date_text(value, Z_SUFFIX_IS_LOCAL_TIME)
    dt = parse_timestamp(value)
    return None if dt is None else dt.date()


@lru_cache(maxsize=65_536)
def _date_text(value: str, z_is_local: bool) -> date:
    return _timestamp_text(value, z_is_local).date()


def parse_decimal(value: Any, *, money: bool = False) -> Decimal | None:
    """Exact money/quantity: JSON int/float or text ("1.234,56", "Rp 1.000") → Decimal.

    Floats go through ``repr`` (shortest round-trip text), so 999995334.78 becomes
    Decimal('999995334.78'), never the binary expansion 999995334.77999997...
    ``money`` says the column holds Rupiah (numeric(20,2)): see :func:`_decimal_text` for why that
    decides ``"1.234"``.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"boolean is not a number: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite number {value!r}")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"non-finite number {value!r}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"not a number: {value!r}")
    return _decimal_text(value, money=money)


class AmbiguousNumber(ValueError):
    """Text such as ``"1.234"`` in a non-money column: 1234 (Indonesian thousands) or 1.234?"""


_CURRENCY_RE = re.compile(r"^(?:rp|idr)\.?", re.IGNORECASE)
_GROUPED_RE = {".": re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+"), ",": re.compile(r"[1-9]\d{0,2}(?:,\d{3})+")}
_MACHINE_RE = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _decimal_text(value: str, *, money: bool = False) -> Decimal:
    """Text numbers in Indonesian (``.`` thousands, ``,`` decimals) or machine notation, exactly.

    The rule (issue 19 point 1; this docstring is its reference):

    * ``Rp``/``IDR`` prefix, spaces, a trailing ``,-`` and a sign are allowed; then only digits,
      ``.`` and ``,`` (or machine exponent notation, ``"1e21"``, range-checked by the caller).
    * Both separators: the right-most is the decimal one, the other must group by three
      (``1.234.567,89`` id, ``1,234,567.89`` en); a bad grouping (``1.23.4,5``) is an error.
    * One separator several times: it groups thousands and must group by three (``1.234.567``).
    * One separator once: followed by other than three digits it is the decimal point
      (``1234.56``, ``1234,5``). Followed by exactly three digits after a 1–3 digit head
      (``1.234``, ``1,000``) it is ambiguous — thousands, or three decimals? Money columns are
      Rupiah with at most two decimals (numeric(20,2), sources.md §0.7), so there three decimals
      cannot be meant: it is thousands (``"Rp 1.234"`` and ``"1.000"`` → 1234 and 1000). An
      explicit ``Rp`` says the same for any column. Elsewhere (quantities, percentages) the value
      is refused as :class:`AmbiguousNumber` and the row is quarantined, never guessed.
    """
    s = value.translate(ZERO_WIDTH).strip().replace("\u00a0", " ")
    sign = ""
    if s[:1] in "+-":
        sign, s = s[0], s[1:].lstrip()
    s, n_currency = _CURRENCY_RE.subn("", s)
    s = s.replace(" ", "")
    if s[:1] in "+-" and not sign:  # "Rp -1.000"
        sign, s = s[0], s[1:]
    if s.endswith((",-", ".-")):  # "Rp 1.000,-": no cents
        s = s[:-2]
    try:
        d = Decimal(sign + _plain_number(s, thousands_default=money or bool(n_currency), original=value))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not d.is_finite():
        raise ValueError(f"non-finite number {value!r}")
    return d


def _plain_number(s: str, *, thousands_default: bool, original: str) -> str:
    """Separator-free machine text of ``s`` (digits, ``.`` and ``,`` only) by the rule above."""
    dots, commas = s.count("."), s.count(",")
    if dots and commas:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        head, frac = s.rsplit(dec, 1)
        group = "," if dec == "." else "."
        if not (frac.isdigit() and frac.isascii() and _GROUPED_RE[group].fullmatch(head)):
            raise ValueError(f"not a number (bad digit grouping): {original!r}")
        return head.replace(group, "") + "." + frac
    if dots + commas == 0 or (commas == 0 and ("e" in s or "E" in s)):
        if not _MACHINE_RE.fullmatch(s):
            raise ValueError(f"not a number: {original!r}")
        return s
    sep = "." if dots else ","
    if dots + commas > 1:
        if not _GROUPED_RE[sep].fullmatch(s):
            raise ValueError(f"not a number (bad digit grouping): {original!r}")
        return s.replace(sep, "")
    head, tail = s.split(sep)
    if not (tail.isdigit() and tail.isascii() and (head == "" or (head.isdigit() and head.isascii()))):
        raise ValueError(f"not a number: {original!r}")
    if len(tail) == 3 and _GROUPED_RE[sep].fullmatch(s):
        if not thousands_default:
            raise AmbiguousNumber(f"ambiguous number {original!r}: thousands separator or three decimals?")
        return head + tail
    return (head or "0") + "." + tail


def parse_int(value: Any) -> int | None:
    """Ids and counts: int, integral float (12.0) or digit text; anything fractional is an error."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        s = value.translate(ZERO_WIDTH).strip()
        if re.fullmatch(r"[+-]?\d+(\.0*)?", s):
            return int(s.split(".")[0])
    raise ValueError(f"not an integer: {value!r}")


def parse_bool(value: Any) -> bool | None:
    """Flags arrive as true / 'true' / 'TRUE' / 1 / 'Ya' (parquet mirrors stringify them)."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        s = value.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise ValueError(f"not a boolean: {value!r}")


class _TextExtractor(HTMLParser):
    """Collect the text of an HTML fragment; block tags become line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def strip_html(text: str) -> str:
    """``<p> a\\r\\n</p><p><br></p>`` → ``a``: tags out, entities unescaped, blank lines dropped."""
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def clean_text(value: Any) -> str | None:
    """Free text: zero-width characters removed, HTML stripped, ends trimmed, '' → None.

    Non-strings (an int ``kd_satker`` for a text column, a list ``tahun_aktif``) become their
    canonical text so the column type is uniform.
    """
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and "<" not in value and "&" not in value:
        return value.strip() or None   # the common case: no zero-width chars, tags or entities
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"non-finite number {value!r} where text was expected")
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, (int, float, Decimal)):
        text = str(value)
    elif isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    text = text.translate(ZERO_WIDTH)
    if _TAG_RE.search(text):
        text = defang_markup(strip_html(text))
    elif "&" in text:
        text = defang_markup(html.unescape(text))
    text = text.strip()
    return text or None


def defang_markup(text: str) -> str:
    """Re-escape every ``<`` that would open markup, after entities were turned into characters.

    Why (issue 19 point 12): a feed may send ``&lt;img src=x onerror=alert(1)&gt;``; unescaping it
    into ``<img …>`` would store live markup that any HTML we publish could render. Plain text such
    as ``R&D <5>`` or ``Nilai < 10 juta`` is untouched: only ``<`` before a letter, ``/``, ``!``
    or ``?`` is written back as ``&lt;``.
    """
    return _MARKUP_START_RE.sub("&lt;", text) if "<" in text else text


def unstorable_reason(text: str) -> str | None:
    """Why PostgreSQL would refuse ``text`` (NUL character, lone surrogate), or None if it is fine."""
    if "\x00" in text:
        return "NUL character"
    if not text.isascii() and _SURROGATE_RE.search(text):
        return "lone UTF-16 surrogate / invalid UTF-8"
    return None


def make_storable(text: str) -> str:
    """``text`` without NUL characters and with lone surrogates replaced by U+FFFD."""
    text = text.replace("\x00", "")
    return _SURROGATE_RE.sub(REPLACEMENT_CHAR, text) if not text.isascii() else text


def clean_list(value: Any, *, separators: str = ";,", joiner: str = ";",
               token_pattern: str | None = None) -> str | None:
    """Multi-valued text ("1; 2 ,3") → "1;2;3": one separator, no blanks; order kept.

    ``token_pattern`` (a regex) makes a token that does not match an error, e.g. digits for kd_rup.
    """
    text = clean_text(value)
    if text is None:
        return None
    tokens = [t.strip() for t in re.split(f"[{re.escape(separators)}]", text)]
    tokens = [t for t in tokens if t]
    if token_pattern:
        bad = [t for t in tokens if not re.fullmatch(token_pattern, t)]
        if bad:
            raise ValueError(f"bad list item(s) {bad!r} in {value!r}")
    return joiner.join(tokens) or None


def explode_kd_rup(value: Any) -> list[int]:
    """``"56168859; 56168861,56168878"`` → ``[56168859, 56168861, 56168878]`` for bridge rows.

    Order is the ordinal; a repeated id keeps its first position only (the bridge key is
    package × kd_rup). Raises ValueError on a non-numeric item.
    """
    if is_blank(value):
        return []
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    text = clean_list(value, token_pattern=r"\d+")
    out: list[int] = []
    for token in (text or "").split(";"):
        if token and int(token) not in out:
            out.append(int(token))
    return out
