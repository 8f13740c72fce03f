"""Which datasets the metrics read, and what each one feeds: the basis of a run's input record.

Why a fixed table here and not a YAML list: it describes the mart SQL itself (which history
tables include/sql/mart/*.sql read), so it changes with that SQL, never per Pemda or per year.
The human wording (dataset and indicator names in a circular) is configuration instead:
include/config/pemda/default.yaml `catatan_data`.

Every dataset of the pipeline's families (`pantau.pipeline.FAMILIES`) is either an input here or
listed in NOT_READ with the reason, so a new dataset cannot silently escape the completeness
record (tests/metrics/test_completeness.py checks it).
"""
from __future__ import annotations

# dataset -> indicators it feeds (ITKP component keys, epurchasing_share, penyerapan, or a lagging
# rule key; wording per key in pemda `catatan_data.indikator`).
METRIC_INPUTS: dict[str, tuple[str, ...]] = {
    "rup_master_satker": ("nama_pd",),
    "rup_struktur_anggaran": ("sirup", "rup_not_announced"),
    "rup_paket_penyedia": ("sirup", "e_tendering", "non_e_tendering", "epurchasing_share", "penyerapan"),
    "rup_paket_swakelola": ("sirup", "epurchasing_share", "penyerapan"),
    "spse_tender_pengumuman": ("e_tendering", "e_kontrak", "penyerapan"),
    "spse_tender_selesai_nilai": ("e_kontrak", "penyerapan"),
    "spse_tender_ekontrak_kontrak": ("e_kontrak", "penyerapan"),
    "spse_tender_ekontrak_bapbast": ("penyerapan",),
    "spse_nontender_pengumuman": ("non_e_tendering", "e_kontrak", "penyerapan"),
    "spse_nontender_selesai": ("e_kontrak", "penyerapan"),
    "spse_nontender_ekontrak_kontrak": ("e_kontrak", "penyerapan"),
    "spse_nontender_ekontrak_bapbast": ("penyerapan",),
    "spse_pencatatan_nontender": ("non_e_tendering", "penyerapan"),
    "spse_pencatatan_nontender_realisasi": ("penyerapan",),
    "ecat_paket_v5": ("e_purchasing", "epurchasing_share", "penyerapan"),
    "ecat_paket_v6": ("e_purchasing", "epurchasing_share", "penyerapan"),
    "bela_toko_daring": ("toko_daring", "penyerapan"),
}

# Family datasets the mart SQL does not read (so their state cannot change a metric).
NOT_READ: dict[str, str] = {
    "rup_paket_anggaran_penyedia": "budget lines; metrics use the package grain (core.rup_paket) only",
}

# Datasets whose package rows reference kd_rup: their orphan share is computed from core
# (include/sql/mart/metric_run_input.sql names the same five).
ORPHAN_DATASETS: tuple[str, ...] = (
    "spse_tender_pengumuman", "spse_nontender_pengumuman", "spse_pencatatan_nontender",
    "ecat_paket_v5", "ecat_paket_v6",
)


class UnmappedDatasetError(LookupError):
    """A family dataset is neither a metric input nor listed as not read."""


def family_of(dataset: str) -> str:
    """The pipeline family (sirup, spse, ekatalog) a dataset is extracted with."""
    from pantau.pipeline import FAMILIES

    for family, prefixes in FAMILIES.items():
        if dataset.startswith(prefixes):
            return family
    raise UnmappedDatasetError(f"dataset {dataset!r} belongs to no family of pantau.pipeline.FAMILIES")


def input_rows() -> list[tuple[str, str, int, bool]]:
    """(dataset, family, ord, is_orphan_dataset) rows for the run's tmp_input table, in
    pantau.datasets order."""
    from pantau.datasets import DATASETS

    unknown = sorted(set(METRIC_INPUTS) - set(DATASETS))
    if unknown:
        raise UnmappedDatasetError(f"metric inputs name unknown datasets: {', '.join(unknown)}")
    ordered = [name for name in DATASETS if name in METRIC_INPUTS]
    return [(name, family_of(name), i, name in ORPHAN_DATASETS) for i, name in enumerate(ordered)]


def unmapped_family_datasets() -> list[str]:
    """Family datasets missing from both METRIC_INPUTS and NOT_READ (should be empty)."""
    from pantau.pipeline import FAMILIES, family_datasets

    every = [ds for family in FAMILIES for ds in family_datasets(family)]
    return [ds for ds in every if ds not in METRIC_INPUTS and ds not in NOT_READ]
