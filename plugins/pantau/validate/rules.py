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


_RUP_JENIS = {"jenis_pengadaan": "jenis_pengadaan_rup"}
_SPSE_JENIS = {"jenis_pengadaan": "jenis_pengadaan_spse", "kategori_pengadaan": "jenis_pengadaan_spse"}
_SPSE_REF = dict(ref_kd_rup=True, ref_satker=True)
# Fields only an e-Katalog v5 line (resp. a v6 order) carries: seeing them in the other feed's
# `extra` means the endpoint served the wrong generation (a v5 file on the v6 path).
_V5_ONLY = frozenset({"kd_produk", "satker_id", "paket_status_str", "status_paket", "harga_satuan",
                      "kuantitas", "kd_penyedia_distributor", "kd_komoditas"})
_V6_ONLY = frozenset({"status_pkt", "status_pengiriman", "kd_penyedia_v6", "product_ids", "jml_produk",
                      "ongkir", "tgl_order", "shipment_status", "order_id"})

EXTRA: dict[str, Extra] = {
    "rup_master_satker": Extra(),
    "rup_struktur_anggaran": Extra(identities=(
        ("belanja_pengadaan", ("belanja_operasi", "belanja_modal", "belanja_btt")),
        ("total_belanja", ("belanja_pengadaan", "belanja_non_pengadaan")),
    ), ref_satker=True),
    "rup_paket_penyedia": Extra(code_lists=_RUP_JENIS, ref_satker=True),
    "rup_paket_swakelola": Extra(ref_satker=True),
    "rup_paket_anggaran_penyedia": Extra(),
    "spse_tender_pengumuman": Extra(code_lists=_SPSE_JENIS, **_SPSE_REF),
    "spse_tender_selesai_nilai": Extra(**_SPSE_REF),
    "spse_tender_ekontrak_kontrak": Extra(),
    "spse_tender_ekontrak_bapbast": Extra(),
    "spse_nontender_pengumuman": Extra(code_lists=_SPSE_JENIS, **_SPSE_REF),
    "spse_nontender_selesai": Extra(code_lists=_SPSE_JENIS, **_SPSE_REF),
    "spse_nontender_ekontrak_kontrak": Extra(),
    "spse_nontender_ekontrak_bapbast": Extra(),
    "spse_pencatatan_nontender": Extra(code_lists=_SPSE_JENIS, **_SPSE_REF),
    # no_realisasi may be "" in the source (sources.md §3.15) → null after normalisation.
    "spse_pencatatan_nontender_realisasi": Extra(nullable_key=frozenset({"no_realisasi"}), **_SPSE_REF),
    "ecat_paket_v5": Extra(ref_kd_rup=True, foreign_fields=_V6_ONLY),
    "ecat_paket_v6": Extra(ref_kd_rup=True, ref_satker=True, foreign_fields=_V5_ONLY),
    "bela_toko_daring": Extra(),
}


def extra(dataset: str) -> Extra:
    return EXTRA.get(dataset, Extra())


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
