"""Field-name aliases: every spelling the LKPP feeds use → the canonical ISB name of the spec.

One map for both sources (ISB and INAPROC v1, plus legacy ISB ≤2022), so normalisation does not
depend on where a row came from. An alias is applied only when its canonical name is a column of
the dataset **and** the alias itself is not (e.g. ``kd_paket`` → ``kd_pkt_dce`` for SPSE feeds,
while e-katalog keeps its own ``kd_paket``). Evidence: sources.md §3.19, §3.22, §3.23, §6.2.
"""
from __future__ import annotations

#: Aliases valid for every dataset (guarded as described above).
GLOBAL_ALIASES: dict[str, str] = {
    # §3.22 lineage dates
    "_event_date": "source_event_date",
    "tgl_penarikan": "source_event_date",
    "_inserted_date": "source_inserted_at",
    # §6.2 sic spellings and drift
    "urarian_pekerjaan": "uraian_pekerjaan",
    "npwp16_penyedia": "npwp_16_penyedia",
    "npwp_penyedia_16": "npwp_16_penyedia",
    "npwp_16": "npwp_16_penyedia",
    "kd_rup_paket": "kd_rup",
    "kd_paket_dce": "kd_pkt_dce",
    "kd_paket": "kd_pkt_dce",          # SelesaiNilai and legacy tender feeds (§3.10, §3.23)
    "lpse_id": "kd_lpse",
    "kode_klpd": "kd_klpd",            # INAPROC query/field spelling
    "tahun": "tahun_anggaran",         # Bela (ISB) and v1 echo of the query parameter
    # §3.23 legacy (TA ≤ 2022) names
    "ang": "sumber_dana",
    "anggaran": "sumber_dana",
    "nama_status_tender": "status_tender",
    "nama_status_nontender": "status_nontender",
    "nilai_pdn": "nilai_pdn_kontrak",
    "kategori_pengadaan": "jenis_pengadaan",   # non-tender feeds; pencatatan keeps kategori_pengadaan
    "metode_pengadaan": "mtd_pemilihan",       # non-tender feeds; RUP keeps metode_pengadaan
    "tanggal_buat_paket": "tgl_buat_paket",    # e-katalog v5 keeps tanggal_buat_paket
    "tanggal_pengumuman_nontender": "tgl_pengumuman_nontender",
    "tanggal_selesai_nontender": "tgl_selesai_nontender",
    "kode_mak": "mak",
}

#: INAPROC v1 ``/v1/ekatalog/paket-e-purchasing`` renames (§3.19). Scoped to v6 because the
#: source names are generic words (``status``, ``total``) that mean other things elsewhere.
V6_ALIASES: dict[str, str] = {
    "order_id": "kd_paket",
    "fiscal_year": "tahun_anggaran",
    "kode_satker": "kd_satker_str",
    "rup_code": "kd_rup",
    "rup_name": "rup_nama_pkt",
    "status": "status_pkt",
    "shipment_status": "status_pengiriman",
    "count_product": "jml_jenis_produk",
    "total_qty": "jml_produk",
    "total": "total_harga",
    "shipping_fee": "ongkir",
    "funding_source": "sumber_dana",
    "order_date": "tgl_order",
    "kode_penyedia": "kd_penyedia_v6",
}

#: Dataset-specific aliases, checked before the global ones.
DATASET_ALIASES: dict[str, dict[str, str]] = {
    "ecat_paket_v6": V6_ALIASES,
    # §3.10: SelesaiNilai's "kd_satker" actually holds the kd_satker_str value.
    "spse_tender_selesai_nilai": {"kd_satker": "kd_satker_str"},
}

#: Arrays nested in INAPROC ``tender/tender-ekontrak`` and ``non-tender-ekontrak`` rows (§3.12).
NESTED_BAPBAST = "bapbast_history_json"
NESTED_SIBLINGS: frozenset[str] = frozenset({"spmkspp_history_json", "penilaian_kinerja_penyedia"})
BAPBAST_DATASETS: frozenset[str] = frozenset({"spse_tender_ekontrak_bapbast", "spse_nontender_ekontrak_bapbast"})


def canonical_name(dataset: str, field: str, columns: frozenset[str] | set[str]) -> str | None:
    """The spec column ``field`` feeds in ``dataset``, or None when it belongs in ``extra``."""
    if field in columns:
        return field
    target = DATASET_ALIASES.get(dataset, {}).get(field) or GLOBAL_ALIASES.get(field)
    return target if target in columns else None
