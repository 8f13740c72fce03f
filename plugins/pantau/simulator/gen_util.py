"""Small deterministic helpers for the generator: id sequences, date formats, people, money.

Every helper takes the caller's ``random.Random`` so that the whole generation is a function of the
seed only (no global random state, no clock). The date formatters reproduce the six textual date
formats the real LKPP feeds use (shared/docs/sources.md §0.7), each in the fields where it occurs.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from . import names as N

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def ri(rng: random.Random, a: int, b: int) -> int:
    """randint(a, b) without randrange's overhead (the generator's hottest call)."""
    return a + int(rng.random() * (b - a + 1))


def ch(rng: random.Random, seq):
    """choice(seq) without the method-call overhead of random.choice."""
    return seq[int(rng.random() * len(seq))]


class Seq:
    """Increasing id sequence with random gaps, so ids look sparse like real LKPP ids."""

    def __init__(self, rng: random.Random, start: int, max_gap: int = 7, mult: int = 1, suffix: int = 0):
        self.rng, self.cur, self.max_gap, self.mult, self.suffix = rng, start, max_gap, mult, suffix

    def next(self) -> int:
        self.cur += 1 + int(self.rng.random() * self.max_gap)
        return self.cur * self.mult + self.suffix


# --- the six date formats -------------------------------------------------------------------------
def f_date(d: date) -> str:
    """`2025-01-01` — planning months, _event_date, tgl_order, TenderSelesaiNilai dates."""
    return d.isoformat()


def f_dt(d: datetime) -> str:
    """`2025-01-14 10:06:33` — RUP announcement, SPSE tender dates, NonTenderSelesai, bela."""
    return d.isoformat(" ")


def f_dt_z6(d: datetime) -> str:
    """`2025-01-31 14:00:00.000000Z` — NonTenderPengumuman tgl_pengumuman_nontender."""
    return d.isoformat(" ") + ".000000Z"


def f_iso_day(d: date) -> str:
    """`2025-02-03T00:00:00.000000Z` — e-kontrak tgl_kontrak/tgl_bap/tgl_bast, pencatatan realisasi."""
    return d.isoformat()[:10] + "T00:00:00.000000Z"


def f_iso_ms(d: datetime, ms: int) -> str:
    """`2024-08-29T10:00:01.679000Z` — pencatatan tgl_buat_paket, tgl_penetapan_status_kontrak."""
    return d.isoformat() + f".{ms:03d}000Z"


def f_java(d: date) -> str:
    """`Jul 3, 2025, 12:00:00AM` — SPMK/SPP tgl_mulai_pekerjaan (only in INAPROC nested history here)."""
    return f"{MONTHS_EN[d.month - 1]} {d.day}, {d.year}, 12:00:00AM"


def at_time(rng: random.Random, d: date, lo: int = 8, hi: int = 16) -> datetime:
    """A datetime on day `d` during office hours."""
    return datetime(d.year, d.month, d.day, ri(rng, lo, hi), ri(rng, 0, 59), ri(rng, 0, 59))


def clamp(d: date, hi: date) -> date:
    return d if d <= hi else hi


def add_days(d: date, n: int) -> date:
    return d + timedelta(days=n)


def ulid(rng: random.Random, when: datetime) -> str:
    """A ULID-shaped id (e-katalog v6 kd_paket): 48-bit ms timestamp + 80 random bits, Crockford."""
    ms = int((when - datetime(1970, 1, 1)).total_seconds() * 1000)
    value = (ms << 80) | rng.getrandbits(80)
    out = []
    for _ in range(26):
        out.append(CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(out))


def uuid4_like(rng: random.Random) -> str:
    """A UUID-shaped string (v6 product_ids) from the seeded rng."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


# --- people and companies ---------------------------------------------------------------------------
def nip(rng: random.Random) -> str:
    """An 18-digit NIP: birth date, TMT month, gender digit, sequence."""
    born = f"{ri(rng, 1966, 1995)}{ri(rng, 1, 12):02d}{ri(rng, 1, 28):02d}"
    tmt = f"{ri(rng, 1990, 2020)}{ri(rng, 1, 12):02d}"
    return f"{born}{tmt}{ri(rng, 1, 2)}{ri(rng, 1, 20):03d}"


def person(rng: random.Random) -> tuple[str, str]:
    """(nip, nama with academic title)."""
    nama = f"{ch(rng, N.FIRST_NAMES)} {ch(rng, N.LAST_NAMES)}{ch(rng, N.TITLES)}"
    return nip(rng), nama


def npwp(rng: random.Random) -> tuple[str, str]:
    """(15-digit dotted NPWP, 16-digit NPWP) of one taxpayer."""
    d = f"{ri(rng, 0, 99):02d}{ri(rng, 0, 999):03d}{ri(rng, 0, 999):03d}{ri(rng, 0, 9)}" \
        f"{ri(rng, 0, 999):03d}{ri(rng, 0, 999):03d}"
    dotted = f"{d[0:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:15]}"
    return dotted, "0" + d


def company(rng: random.Random, kd_penyedia: int) -> dict:
    """A penyedia record reused by several contracts of a KLPD."""
    prefix, bentuk = ch(rng, N.BENTUK_USAHA)
    words = " ".join(rng.sample(N.COMPANY_WORDS, 2))
    nama = f"{prefix} {words}".strip() if prefix else f"{ch(rng, N.FIRST_NAMES)} {ch(rng, N.LAST_NAMES)}"
    n15, n16 = npwp(rng)
    wakil = f"{ch(rng, N.FIRST_NAMES)} {ch(rng, N.LAST_NAMES)}"
    rek = f"{ri(rng, 10**9, 10**13)}"
    return {
        "kd_penyedia": kd_penyedia, "nama_penyedia": nama, "npwp": n15, "npwp16": n16, "bentuk": bentuk,
        "wakil": wakil, "jabatan": "Direktur" if prefix else "Perseorangan", "bank": ch(rng, N.BANKS),
        "rek": ("'" + rek) if rng.random() < 0.05 else rek,
        "kd_penyedia_sikap": 0 if rng.random() < 0.4 else ri(rng, 100_000, 400_000_000),
        "kd_penyedia_v6": None,
        "alamat": f"Jl. {ch(rng, N.PLACES_KALBAR)} No. {ri(rng, 1, 200)}",
    }


def money(rng: random.Random, x: float, p_float: float) -> int | float:
    """JSON int most of the time, float with cents sometimes — money type drift in one column."""
    if rng.random() < p_float:
        return float(int(x)) + ri(rng, 1, 99) / 100.0
    return int(x)


def round_pagu(rng: random.Random, x: float) -> int:
    """Planned budgets are mostly round thousands, sometimes exact rupiah (79691100)."""
    if rng.random() < 0.7:
        return max(1000, int(x) // 1000 * 1000)
    return max(1000, int(x) // 100 * 100)
