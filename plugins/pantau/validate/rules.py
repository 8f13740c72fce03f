"""Which checks each dataset gets: derived from :mod:`pantau.datasets` plus a small table of extras.

Why derive: the spec already says which columns are required, which form the grain key, which are
money (``numeric(20,2)``) and which are dates. Only what the spec cannot say lives in ``EXTRA``:
code-list mapping where one column name has two vocabularies (RUP vs SPSE ``jenis_pengadaan``),
referential checks, cross-field identities, and fields that betray the wrong feed.

Standard library only (imported by DAG files through :mod:`pantau.validate`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pantau.datasets import DATASETS, KNOWN_CODES, DatasetSpec

MONEY_TYPES = frozenset({"numeric(20,2)"})
# Quantities that are not money but must not be negative either.
NONNEG_EXTRA = frozenset({"kuantitas", "jml_produk", "progres_pekerjaan", "jml_jenis_produk"})
DATE_TYPES = frozenset({"date", "timestamptz"})
# Lineage dates of the source, not business dates: an old year extracted today is fine.
DATE_EXEMPT = frozenset({"source_event_date", "source_inserted_at"})
# Code-list columns whose values are ';'/','-joined token lists (sources.md §4.6).
TOKEN_LISTS = frozenset({"sumber_dana"})

RUP_DATASETS = ("rup_paket_penyedia", "rup_paket_swakelola")


@dataclass(frozen=True)
class Extra:
    """Per-dataset rules the spec cannot express."""

    code_lists: dict[str, str] = field(default_factory=dict)   # column -> KNOWN_CODES key (override)
    ref_kd_rup: bool = False                                   # kd_rup must exist in RUP (same tahun)
    ref_satker: bool = False                                   # (kd_klpd, kd_satker_str) in dim_satker
    identities: tuple[tuple[str, tuple[str, ...]], ...] = ()   # total = Σ parts (when all non-null)
    foreign_fields: frozenset[str] = frozenset()               # fields of another feed (critical)
    nullable_key: frozenset[str] = frozenset()                 # key parts that may be null by design
    date_window: tuple[int, int] = (-1, 1)                     # years around tahun allowed
    # Fields a feed repeats one fact over (one row per kd_rup of the package, per contract
    # version…): ignored when deciding whether same-key rows are copies of one fact.
    fan_out: frozenset[str] = frozenset()
    # Same-key rows are distinct facts (the feed has no line id): keep every row, the core key
    # gets an ordinal. Neither collapsed nor quarantined.
    repeats_are_facts: bool = False
    # The grain as core keys it, when it differs from the spec key: (column, value a null counts
    # as). Duplicates are judged on this grain so no core DISTINCT ON can drop a row afterwards.
    grain: tuple[tuple[str, str | None], ...] = ()


_RUP_JENIS = {"jenis_pengadaan": "jenis_pengadaan_rup"}
_SPSE_JENIS = {"jenis_pengadaan": "jenis_pengadaan_spse", "kategori_pengadaan": "jenis_pengadaan_spse"}
_SPSE_REF = dict(ref_kd_rup=True, ref_satker=True)
# A BAPBAST row is a payment joined with its contract's header: after an addendum the feed repeats
# every payment once per contract version. The payment is one fact; these header fields belong to
# the contract (core.kontrak) and do not make a second payment.
_CONTRACT_HEADER = frozenset({
    "no_sppbj", "no_kontrak", "tgl_kontrak", "nilai_kontrak", "nip_ppk", "nama_ppk", "jabatan_ppk",
    "no_sk_ppk", "jabatan_penandatangan_sk", "wakil_sah_penyedia", "jabatan_wakil_penyedia",
    "status_kontrak", "tgl_penetapan_status_kontrak", "alasan_penetapan_status_kontrak",
    "apakah_addendum", "versi_addendum", "alasan_addendum"})
# A termin can be paid before its BAST (or BAP) number exists (real D197 BAPBAST row with no
# no_bast): core keys the empty number as '' (pembayaran_from_*_bapbast.sql), so it is no defect.
_BAP_NUMBERS = frozenset({"no_bap", "no_bast"})
# Source metadata: when/how the source published the row, never part of the fact.
METADATA_COLUMNS = frozenset({"source_event_date", "source_inserted_at"})
# `extra` keys starting with "_" are source/bookkeeping metadata (_event_date, _filled_from_request)
# except the original text of values that failed to parse.
EXTRA_KEPT_PRIVATE = frozenset({"_unparsed"})
# Fields only an e-Katalog v5 line (resp. a v6 order) carries: seeing them in the other feed's
# `extra` means the endpoint served the wrong generation (a v5 file on the v6 path).
_V5_ONLY = frozenset({"kd_produk", "satker_id", "paket_status_str", "status_paket", "harga_satuan",
                      "kuantitas", "kd_penyedia_distributor", "kd_komoditas"})
_V6_ONLY = frozenset({"status_pkt", "status_pengiriman", "kd_penyedia_v6", "product_ids", "jml_produk",
                      "ongkir", "tgl_order", "shipment_status", "order_id"})

EXTRA: dict[str, Extra] = {
    "rup_master_satker": Extra(grain=(("kd_klpd", None), ("kd_satker_str", None))),
    "rup_struktur_anggaran": Extra(identities=(
        ("belanja_pengadaan", ("belanja_operasi", "belanja_modal", "belanja_btt")),
        ("total_belanja", ("belanja_pengadaan", "belanja_non_pengadaan")),
    ), ref_satker=True, grain=(("tahun_anggaran", "{tahun}"), ("kd_klpd", None), ("kd_satker_str", None))),
    "rup_paket_penyedia": Extra(code_lists=_RUP_JENIS, ref_satker=True),
    "rup_paket_swakelola": Extra(ref_satker=True),
    # Σ pagu of a package's lines equals the package pagu only when every repeated
    # (kd_rup, mak, sumber_dana) line is kept — even exact repeats (measured on the real D197 feed).
    "rup_paket_anggaran_penyedia": Extra(repeats_are_facts=True),
    "spse_tender_pengumuman": Extra(code_lists=_SPSE_JENIS, **_SPSE_REF),
    "spse_tender_selesai_nilai": Extra(**_SPSE_REF),
    "spse_tender_ekontrak_kontrak": Extra(grain=(("kd_tender", None), ("versi_addendum", "0"))),
    "spse_tender_ekontrak_bapbast": Extra(fan_out=_CONTRACT_HEADER, nullable_key=_BAP_NUMBERS, grain=(
        ("kd_tender", None), ("no_bap", ""), ("no_bast", ""))),
    "spse_nontender_pengumuman": Extra(code_lists=_SPSE_JENIS, **_SPSE_REF),
    "spse_nontender_selesai": Extra(code_lists=_SPSE_JENIS, **_SPSE_REF),
    "spse_nontender_ekontrak_kontrak": Extra(grain=(("kd_nontender", None), ("versi_addendum", "0"))),
    "spse_nontender_ekontrak_bapbast": Extra(fan_out=_CONTRACT_HEADER, nullable_key=_BAP_NUMBERS, grain=(
        ("kd_nontender", None), ("no_bap", ""), ("no_bast", ""))),
    "spse_pencatatan_nontender": Extra(code_lists=_SPSE_JENIS, **_SPSE_REF),
    # no_realisasi may be "" in the source (sources.md §3.15) → null after normalisation.
    # The realisasi feed repeats a receipt once per kd_rup of its package (kd_rup_paket).
    "spse_pencatatan_nontender_realisasi": Extra(nullable_key=frozenset({"no_realisasi"}),
                                                 fan_out=frozenset({"kd_rup", "kd_rup_paket"}), grain=(
        ("kd_nontender_pct", None), ("no_realisasi", ""), ("tgl_realisasi", None), ("nilai_realisasi", None)),
                                                 **_SPSE_REF),
    "ecat_paket_v5": Extra(ref_kd_rup=True, foreign_fields=_V6_ONLY),
    "ecat_paket_v6": Extra(ref_kd_rup=True, ref_satker=True, foreign_fields=_V5_ONLY),
    "bela_toko_daring": Extra(),
}


def extra(dataset: str) -> Extra:
    return EXTRA.get(dataset, Extra())


def grain(dataset: str) -> tuple[tuple[str, str | None], ...]:
    """(column, null stands for) of the grain duplicates are judged on: the core key's form."""
    ex = extra(dataset)
    if ex.grain:
        return ex.grain
    return tuple((k, None) for k in DATASETS[dataset].key)


def ignored_fields(dataset: str) -> frozenset[str]:
    """Fields that do not make two same-grain rows different facts (metadata + fan-out)."""
    return METADATA_COLUMNS | extra(dataset).fan_out


def code_columns(spec: DatasetSpec) -> dict[str, str]:
    """column -> KNOWN_CODES key for every spec column that has a code list."""
    overrides = extra(spec.name).code_lists
    out: dict[str, str] = {}
    for name in spec.column_names:
        key = overrides.get(name, name)
        if key in KNOWN_CODES:
            out[name] = key
    return out


def money_columns(spec: DatasetSpec) -> list[str]:
    return [c.name for c in spec.columns if c.pg_type in MONEY_TYPES or c.name in NONNEG_EXTRA]


def date_columns(spec: DatasetSpec) -> list[str]:
    return [c.name for c in spec.columns if c.pg_type in DATE_TYPES and c.name not in DATE_EXEMPT]


def required_columns(spec: DatasetSpec) -> list[str]:
    return [c.name for c in spec.columns if c.required and c.name not in extra(spec.name).nullable_key]


def key_not_null_columns(spec: DatasetSpec) -> list[str]:
    return [k for k in spec.key if k not in extra(spec.name).nullable_key]


def all_datasets() -> list[str]:
    return list(DATASETS)
