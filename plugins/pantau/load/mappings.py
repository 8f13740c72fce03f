"""Which SQL file maps which staging dataset into which core table (include/sql/core/*.sql).

Each file is one SELECT over `staging.<dataset> s` parameterised by `%(fetch_id)s`,
`%(include_quarantined)s` and `%(tahun)s`, whose output columns are core column names. The
generic upsert/delete/history code in `pantau.load.merge` wraps it, so a mapping file says only
*what* the rows are, never *how* they are merged.

`owns_rows`: the dataset is the source of truth for the table's rows, so rows of its partition
that vanish from a new snapshot are marked deleted. Non-owning mappings (winner values from
*Selesai* feeds) only update their own columns; `insert_only` columns are written when the
mapping has to create the row and are otherwise left to the owner.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pantau.config import SQL_DIR

CORE_SQL_DIR = SQL_DIR / "core"


@dataclass(frozen=True)
class Mapping:
    table: str
    sql_file: str
    key: tuple[str, ...]
    owns_rows: bool = True
    insert_only: tuple[str, ...] = ()
    # One output row per accepted staging row (the dataset's grain table): the loader counts its
    # output against the accepted staging rows, so a row lost by a mapping is counted (rows_dropped).
    per_row: bool = False

    @property
    def path(self) -> Path:
        return CORE_SQL_DIR / self.sql_file

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


_ID = ("tahun_anggaran", "kd_klpd", "kd_lpse", "kd_satker_str", "kd_pkt_dce", "kd_rup_list", "pagu", "hps")

# Order matters inside a dataset: parents before bridges/children (FKs), dims before lookups.
MAPPINGS: dict[str, tuple[Mapping, ...]] = {
    "rup_master_satker": (
        Mapping("dim_klpd", "dim_klpd_from_master_satker.sql", ("kd_klpd",), owns_rows=False),
        Mapping("dim_satker", "dim_satker_from_master_satker.sql", ("kd_klpd", "kd_satker_str"), per_row=True),
    ),
    "rup_struktur_anggaran": (
        Mapping("struktur_anggaran", "struktur_anggaran_from_struktur_anggaran.sql",
                ("tahun_anggaran", "kd_klpd", "kd_satker_str"), per_row=True),
    ),
    "rup_paket_penyedia": (Mapping("rup_paket", "rup_paket_from_penyedia.sql", ("kd_rup",), per_row=True),),
    "rup_paket_swakelola": (Mapping("rup_paket", "rup_paket_from_swakelola.sql", ("kd_rup",), per_row=True),),
    "rup_paket_anggaran_penyedia": (
        Mapping("rup_anggaran", "rup_anggaran_from_anggaran_penyedia.sql", ("kd_rup", "mak", "sumber_dana", "ordinal"),
                per_row=True),
    ),
    "spse_tender_pengumuman": (
        Mapping("tender", "tender_from_pengumuman.sql", ("kd_tender",), per_row=True),
        Mapping("tender_rup", "tender_rup_from_pengumuman.sql", ("kd_tender", "kd_rup")),
    ),
    "spse_tender_selesai_nilai": (
        Mapping("tender", "tender_from_selesai_nilai.sql", ("kd_tender",), owns_rows=False, insert_only=_ID,
                per_row=True),
    ),
    "spse_tender_ekontrak_kontrak": (
        Mapping("kontrak", "kontrak_from_tender_ekontrak.sql", ("sumber", "kd_paket_spse", "versi_addendum"),
                per_row=True),
    ),
    "spse_tender_ekontrak_bapbast": (
        Mapping("pembayaran", "pembayaran_from_tender_bapbast.sql", ("sumber", "kd_paket_spse", "no_bap", "no_bast"),
                per_row=True),
    ),
    "spse_nontender_pengumuman": (
        Mapping("nontender", "nontender_from_pengumuman.sql", ("kd_nontender",), per_row=True),
        Mapping("nontender_rup", "nontender_rup_from_pengumuman.sql", ("kd_nontender", "kd_rup")),
    ),
    "spse_nontender_selesai": (
        Mapping("nontender", "nontender_from_selesai.sql", ("kd_nontender",), owns_rows=False,
                insert_only=(*_ID, "spse_kd_satker", "nama_paket"), per_row=True),
    ),
    "spse_nontender_ekontrak_kontrak": (
        Mapping("kontrak", "kontrak_from_nontender_ekontrak.sql", ("sumber", "kd_paket_spse", "versi_addendum"),
                per_row=True),
    ),
    "spse_nontender_ekontrak_bapbast": (
        Mapping("pembayaran", "pembayaran_from_nontender_bapbast.sql", ("sumber", "kd_paket_spse", "no_bap", "no_bast"),
                per_row=True),
    ),
    "spse_pencatatan_nontender": (
        Mapping("pencatatan", "pencatatan_from_nontender.sql", ("jenis", "kd_pct"), per_row=True),
        Mapping("pencatatan_rup", "pencatatan_rup_from_nontender.sql", ("jenis", "kd_pct", "kd_rup")),
    ),
    "spse_pencatatan_nontender_realisasi": (
        Mapping("pencatatan_realisasi", "pencatatan_realisasi_from_nontender.sql",
                ("jenis", "kd_pct", "no_realisasi", "tgl_realisasi", "nilai_realisasi"), per_row=True),
    ),
    "ecat_paket_v5": (
        Mapping("epurchasing_order", "epurchasing_order_from_v5.sql", ("versi", "kd_paket")),
        Mapping("epurchasing_line", "epurchasing_line_from_v5.sql", ("versi", "kd_paket", "kd_produk"), per_row=True),
    ),
    "ecat_paket_v6": (Mapping("epurchasing_order", "epurchasing_order_from_v6.sql", ("versi", "kd_paket"), per_row=True),),
    "bela_toko_daring": (Mapping("toko_daring", "toko_daring_from_bela.sql", ("order_id",), per_row=True),),
}


def per_row_mapping(dataset: str) -> Mapping:
    """The mapping whose output has one row per accepted staging row of ``dataset``."""
    found = [m for m in mappings_for(dataset) if m.per_row]
    if len(found) != 1:
        raise KeyError(f"dataset {dataset!r} needs exactly one per_row mapping, has {len(found)}")
    return found[0]


def mappings_for(dataset: str) -> tuple[Mapping, ...]:
    """The mappings of a dataset; KeyError lists the known datasets."""
    try:
        return MAPPINGS[dataset]
    except KeyError:
        raise KeyError(f"no core mapping for dataset {dataset!r}; known: {', '.join(sorted(MAPPINGS))}") from None
