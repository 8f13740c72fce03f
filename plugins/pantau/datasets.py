"""The single list of datasets Pantau PBJ pulls, with their staging columns.

Why this module exists: the source clients, the normaliser, the staging DDL (with ``COMMENT ON``),
the validation suites and the loader must all agree on one shape per dataset. Column names are
the **canonical ISB field names** of ``shared/docs/sources.md`` §3 after alias mapping (the
aliases themselves live in :mod:`pantau.sources.aliases`).

Standard library only: DAG files import this at parse time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PgType = Literal["text", "bigint", "integer", "numeric(20,2)", "numeric", "date", "timestamptz", "boolean"]
PG_TYPES: frozenset[str] = frozenset(
    {"text", "bigint", "integer", "numeric(20,2)", "numeric", "date", "timestamptz", "boolean"}
)


@dataclass(frozen=True)
class Column:
    """One staging column; ``doc_id``/``doc_en`` feed ``COMMENT ON COLUMN``."""

    name: str
    pg_type: str
    required: bool
    doc_id: str
    doc_en: str


@dataclass(frozen=True)
class DatasetSpec:
    """How a dataset is fetched (ISB name / INAPROC path / filter) and what its staging rows hold."""

    name: str
    isb_name: str
    inaproc_path: str
    filter_by: Literal["klpd", "lpse"]
    isb_param_order: tuple[str, ...]
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        """Spec column names in staging order (without the lineage columns)."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name``; KeyError names the dataset when missing."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"dataset {self.name!r} has no column {name!r}")


# Every staging row also carries these (fetch_id set by the caller, row_no/extra by normalize).
LINEAGE_COLUMNS: tuple[Column, ...] = (
    Column("fetch_id", "bigint", True, "Id pengambilan mentah (raw.fetch)", "Raw fetch id (raw.fetch)"),
    Column("row_no", "integer", True, "Urutan baris dalam hasil pengambilan (mulai 0)",
           "Row position in the fetched page set (0-based)"),
    Column("extra", "jsonb", False, "Field sumber yang tidak ada di spesifikasi (tidak dibuang)",
           "Source fields not in the spec (kept, never dropped)"),
)

# Fields that are personal data (bank accounts, phones, e-mail, buyer names). They are not staging
# columns; normalize keeps them in ``extra`` (nothing is dropped), so the loader/roles may mask them.
PII_FIELDS: frozenset[str] = frozenset({
    "nama_rek_bank", "no_rek_bank", "nama_pemilik_rek_bank", "telepon", "fax",
    "no_telp_user_pokja", "email_user_pokja", "email_penyedia", "no_telp_penyedia", "nama_pemesan",
})

# ---------------------------------------------------------------------------------------------
# Shared column dictionary: name -> (default pg type, Indonesian doc, English doc).
# Datasets pick names from here; a "name:type" entry overrides the type for that dataset.
# ---------------------------------------------------------------------------------------------
_M = "numeric(20,2)"
_DOC: dict[str, tuple[str, str, str]] = {
    # identity block
    "tahun_anggaran": ("integer", "Tahun anggaran", "Fiscal year"),
    "list_tahun_anggaran": ("text", "Daftar tahun anggaran (paket tahun jamak)", "Fiscal years (multi-year list)"),
    "kd_klpd": ("text", "Kode K/L/PD (D### pemda, K## kementerian, L## lembaga, B### BUMD)",
                "Institution code (D### region, K## ministry, L## agency, B### BUMD)"),
    "nama_klpd": ("text", "Nama K/L/PD", "Institution name"),
    "jenis_klpd": ("text", "Jenis K/L/PD (KABUPATEN, KOTA, PROVINSI, …)", "Institution type"),
    "kd_satker": ("text", "Kode satker menurut sumber (SIRUP: angka; SPSE: kode SPSE)",
                  "Work-unit code as the source numbers it (SIRUP int; SPSE own code)"),
    "kd_satker_str": ("text", "Kode satker SIPD/anggaran — kunci bersama Perangkat Daerah",
                      "Budget (SIPD) work-unit code — the shared Perangkat Daerah key"),
    "nama_satker": ("text", "Nama satker / Perangkat Daerah", "Work-unit (Perangkat Daerah) name"),
    "alamat_satker": ("text", "Alamat satker", "Work-unit address"),
    "kd_lpse": ("integer", "Kode LPSE", "LPSE (e-procurement service) code"),
    "nama_lpse": ("text", "Nama LPSE", "LPSE name"),
    "url_lpse": ("text", "Alamat situs LPSE", "LPSE site URL"),
    # satker master
    "status_satker": ("text", "Status satker (Aktif)", "Work-unit status"),
    "ket_satker": ("text", "Keterangan satker (BLU/BLUD atau bukan)", "Work-unit note (BLU/BLUD or not)"),
    "jenis_satker": ("text", "Jenis satker (SKPD, Pusat)", "Work-unit type (SKPD, Pusat)"),
    "alamat": ("text", "Alamat kantor satker", "Work-unit office address"),
    "kodepos": ("text", "Kode pos", "Postal code"),
    "kode_eselon": ("text", "Kode eselon", "Echelon code"),
    "tahun_aktif": ("text", "Tahun aktif satker (INAPROC)", "Years the work unit is active (INAPROC)"),
    # budget structure
    "belanja_operasi": (_M, "Belanja operasi", "Operating expenditure"),
    "belanja_modal": (_M, "Belanja modal", "Capital expenditure"),
    "belanja_btt": (_M, "Belanja tidak terduga", "Unforeseen expenditure"),
    "belanja_non_pengadaan": (_M, "Belanja non pengadaan", "Non-procurement expenditure"),
    "belanja_pengadaan": (_M, "Belanja pengadaan (operasi + modal + BTT)", "Procurement expenditure (operating + capital + BTT)"),
    "total_belanja": (_M, "Total belanja", "Total expenditure"),
    # RUP package
    "kd_rup": ("bigint", "Kode RUP paket", "RUP (procurement plan) package id"),
    "kd_rup_lokal": ("text", "Kode RUP lokal", "Local RUP code"),
    "kd_rup_swakelola": ("bigint", "Kode RUP swakelola induk (penyedia dalam swakelola)",
                         "Parent self-managed RUP id (vendor inside swakelola)"),
    "nama_paket": ("text", "Nama paket", "Package name"),
    "pagu": (_M, "Pagu anggaran paket", "Package budget ceiling"),
    "kd_metode_pengadaan": ("integer", "Kode metode pengadaan (8, 9, 13, 15, …)", "Procurement method code"),
    "metode_pengadaan": ("text", "Metode pengadaan", "Procurement method"),
    "kd_jenis_pengadaan": ("text", "Kode jenis pengadaan (1–4)", "Procurement type code (1–4)"),
    "jenis_pengadaan": ("text", "Jenis pengadaan", "Procurement type"),
    "status_pradipa": ("text", "Status PraDIPA", "Pre-DIPA status"),
    "status_pdn": ("text", "Status produk dalam negeri", "Domestic-product status"),
    "status_ukm": ("text", "Status usaha kecil/menengah", "Small-business status"),
    "alasan_non_ukm": ("text", "Alasan non UKM", "Reason not reserved for small business"),
    "status_konsolidasi": ("text", "Status konsolidasi", "Consolidation status"),
    "tipe_paket": ("text", "Tipe paket", "Package type"),
    "volume_pekerjaan": ("text", "Volume pekerjaan", "Work volume"),
    "uraian_pekerjaan": ("text", "Uraian pekerjaan (tanpa HTML)", "Work description (HTML stripped)"),
    "spesifikasi_pekerjaan": ("text", "Spesifikasi pekerjaan", "Work specification"),
    "tgl_awal_pemilihan": ("date", "Rencana awal pemilihan (bulan, hari 01)", "Planned selection start (month)"),
    "tgl_akhir_pemilihan": ("date", "Rencana akhir pemilihan (bulan)", "Planned selection end (month)"),
    "tgl_awal_kontrak": ("date", "Rencana awal kontrak (bulan)", "Planned contract start (month)"),
    "tgl_akhir_kontrak": ("date", "Rencana akhir kontrak (bulan)", "Planned contract end (month)"),
    "tgl_awal_pemanfaatan": ("date", "Rencana awal pemanfaatan (bulan)", "Planned use start (month)"),
    "tgl_akhir_pemanfaatan": ("date", "Rencana akhir pemanfaatan (bulan)", "Planned use end (month)"),
    "tgl_awal_pelaksanaan_kontrak": ("date", "Rencana awal pelaksanaan (bulan)", "Planned execution start (month)"),
    "tgl_akhir_pelaksanaan_kontrak": ("date", "Rencana akhir pelaksanaan (bulan)", "Planned execution end (month)"),
    "tgl_buat_paket": ("timestamptz", "Waktu paket dibuat", "Package creation time"),
    "tgl_pengumuman_paket": ("timestamptz", "Waktu pengumuman paket RUP", "RUP announcement time"),
    "nip_ppk": ("text", "NIP Pejabat Pembuat Komitmen", "Commitment officer (PPK) staff id"),
    "nama_ppk": ("text", "Nama PPK", "Commitment officer name"),
    "username_ppk": ("text", "Nama pengguna PPK", "Commitment officer user name"),
    "jabatan_ppk": ("text", "Jabatan PPK", "Commitment officer position"),
    "status_aktif_rup": ("boolean", "Paket RUP aktif", "RUP package active"),
    "status_delete_rup": ("boolean", "Paket RUP dihapus", "RUP package deleted"),
    "status_umumkan_rup": ("text", "Status pengumuman RUP (Terumumkan, Terinisiasi)", "RUP announcement status"),
    "status_dikecualikan": ("boolean", "Paket dikecualikan", "Package exempted"),
    "alasan_dikecualikan": ("text", "Alasan dikecualikan", "Exemption reason"),
    "tahun_pertama": ("integer", "Tahun pertama (paket tahun jamak)", "First year (multi-year package)"),
    "kode_rup_tahun_pertama": ("text", "Kode RUP tahun pertama", "First-year RUP code"),
    "nomor_kontrak": ("text", "Nomor kontrak", "Contract number"),
    "spp_aspek_ekonomi": ("boolean", "Pengadaan berkelanjutan: aspek ekonomi", "Sustainable procurement: economic"),
    "spp_aspek_sosial": ("boolean", "Pengadaan berkelanjutan: aspek sosial", "Sustainable procurement: social"),
    "spp_aspek_lingkungan": ("boolean", "Pengadaan berkelanjutan: aspek lingkungan", "Sustainable procurement: environmental"),
    "tipe_swakelola": ("integer", "Tipe swakelola (1–4)", "Self-managed type (1–4)"),
    "kd_klpd_penyelenggara": ("text", "Kode K/L/PD penyelenggara swakelola", "Organising institution code"),
    "nama_klpd_penyelenggara": ("text", "Nama K/L/PD penyelenggara", "Organising institution name"),
    "nama_satker_penyelenggara": ("text", "Nama satker penyelenggara", "Organising work-unit name"),
    # budget lines
    "kd_kegiatan": ("bigint", "Kode kegiatan", "Activity id"),
    "kd_komponen": ("text", "Kode komponen", "Component code"),
    "kd_subkegiatan": ("bigint", "Kode sub kegiatan", "Sub-activity id"),
    "mak": ("text", "Mata anggaran kegiatan (bisa daftar)", "Budget account code(s)"),
    "sumber_dana": ("text", "Sumber dana (APBD, APBDP, BLUD, …; bisa gabungan)", "Funding source(s)"),
    "asal_dana": ("text", "K/L/PD pemilik dana", "Fund owner institution"),
    "tahun_anggaran_dana": ("integer", "Tahun anggaran dana", "Fund fiscal year"),
    "asal_dana_klpd": ("text", "Nama K/L/PD asal dana", "Fund owner institution name"),
    "asal_dana_satker": ("text", "Satker asal dana", "Fund owner work unit"),
    # SPSE tender / non-tender
    "kd_tender": ("bigint", "Kode tender SPSE", "SPSE tender id"),
    "kd_nontender": ("bigint", "Kode non tender SPSE", "SPSE non-tender id"),
    "lls_id": ("bigint", "Id lelang SPSE (= kd_nontender)", "SPSE auction id (= kd_nontender)"),
    "kd_pkt_dce": ("bigint", "Kode paket SPSE", "SPSE package id"),
    "hps": (_M, "Harga perkiraan sendiri", "Owner's estimate (HPS)"),
    "kualifikasi_paket": ("text", "Kualifikasi usaha paket", "Business size qualification"),
    "mtd_pemilihan": ("text", "Metode pemilihan", "Selection method"),
    "mtd_evaluasi": ("text", "Metode evaluasi", "Evaluation method"),
    "mtd_kualifikasi": ("text", "Metode kualifikasi", "Qualification method"),
    "mtd_pengadaan": ("text", "Metode pengadaan (e-kontrak)", "Procurement method (e-contract)"),
    "kontrak_pembayaran": ("text", "Jenis pembayaran kontrak", "Contract payment type"),
    "status_tender": ("text", "Status tender (Selesai, Berlangsung, Gagal/Batal)", "Tender status"),
    "status_nontender": ("text", "Status non tender (Selesai, Berlangsung, Gagal/Batal, -)", "Non-tender status"),
    "tanggal_status": ("date", "Tanggal status", "Status date"),
    "versi_tender": ("integer", "Versi tender (ulang)", "Tender version (re-run)"),
    "versi_nontender": ("integer", "Versi non tender (ulang)", "Non-tender version (re-run)"),
    "ket_ditutup": ("text", "Keterangan ditutup", "Closure reason"),
    "ket_diulang": ("text", "Keterangan diulang", "Re-run reason"),
    "tgl_kolektif_kolegial": ("timestamptz", "Waktu persetujuan kolektif kolegial", "Collective approval time"),
    "tgl_pengumuman_tender": ("timestamptz", "Waktu pengumuman tender", "Tender announcement time"),
    "tgl_pengumuman_nontender": ("timestamptz", "Waktu pengumuman non tender", "Non-tender announcement time"),
    "tgl_selesai_nontender": ("timestamptz", "Waktu selesai non tender", "Non-tender completion time"),
    "tgl_penetapan_pemenang": ("timestamptz", "Waktu penetapan pemenang", "Winner decision time"),
    "nip_pokja": ("text", "NIP anggota pokja (daftar ;)", "Selection committee staff ids (; list)"),
    "nama_pokja": ("text", "Nama anggota pokja (daftar ;)", "Selection committee names (; list)"),
    "nip_nama_ppk": ("text", "NIP - nama PPK", "PPK staff id - name"),
    "nip_nama_pokja": ("text", "NIP - nama pokja", "Committee staff id - name"),
    "nip_nama_pp": ("text", "NIP - nama pejabat pengadaan", "Procurement officer staff id - name"),
    "lokasi_pekerjaan": ("text", "Lokasi pekerjaan", "Work location"),
    "repeat_order": ("text", "Pesanan ulang (Ya/Tidak)", "Repeat order (Ya/Tidak)"),
    "nilai_penawaran": (_M, "Nilai penawaran", "Bid value"),
    "nilai_terkoreksi": (_M, "Nilai terkoreksi", "Corrected bid value"),
    "nilai_negosiasi": (_M, "Nilai negosiasi", "Negotiated value"),
    "nilai_kontrak": (_M, "Nilai kontrak", "Contract value"),
    "nilai_pdn_kontrak": (_M, "Nilai produk dalam negeri kontrak", "Domestic-product contract value"),
    "nilai_umk_kontrak": (_M, "Nilai usaha mikro kecil kontrak", "Small-business contract value"),
    "kd_penyedia": ("bigint", "Kode penyedia", "Vendor id"),
    "nama_penyedia": ("text", "Nama penyedia", "Vendor name"),
    "npwp_penyedia": ("text", "NPWP penyedia", "Vendor tax id"),
    "npwp_16_penyedia": ("text", "NPWP 16 digit penyedia", "Vendor 16-digit tax id"),
    "alamat_penyedia": ("text", "Alamat penyedia", "Vendor address"),
    "psr_id": ("bigint", "Id peserta pemenang (INAPROC)", "Winning participant id (INAPROC)"),
    # e-kontrak
    "lingkup_pekerjaan": ("text", "Lingkup pekerjaan (tanpa HTML)", "Scope of work (HTML stripped)"),
    "no_sppbj": ("text", "Nomor SPPBJ", "Award letter number"),
    "no_kontrak": ("text", "Nomor kontrak", "Contract number"),
    "tgl_kontrak": ("date", "Tanggal kontrak", "Contract date"),
    "tgl_kontrak_awal": ("date", "Tanggal awal kontrak", "Contract start date"),
    "tgl_kontrak_akhir": ("date", "Tanggal akhir kontrak", "Contract end date"),
    "kota_kontrak": ("text", "Kota penandatanganan kontrak", "Contract signing city"),
    "no_sk_ppk": ("text", "Nomor SK PPK", "PPK decree number"),
    "bentuk_usaha_penyedia": ("text", "Bentuk usaha penyedia", "Vendor legal form"),
    "tipe_penyedia": ("text", "Tipe penyedia", "Vendor type"),
    "anggota_kso": ("text", "Anggota KSO", "Joint-operation members"),
    "wakil_sah_penyedia": ("text", "Wakil sah penyedia", "Vendor legal representative"),
    "jabatan_wakil_penyedia": ("text", "Jabatan wakil penyedia", "Representative position"),
    "alasan_ubah_nilai_kontrak": ("text", "Alasan perubahan nilai kontrak", "Reason contract value changed"),
    "alasan_nilai_kontrak_10_persen": ("text", "Alasan nilai kontrak di bawah 10 persen", "Reason for >10% value gap"),
    "jenis_kontrak": ("text", "Jenis kontrak", "Contract type"),
    "informasi_lainnya": ("text", "Informasi lainnya", "Other information"),
    "status_kontrak": ("text", "Status kontrak", "Contract status"),
    "tgl_penetapan_status_kontrak": ("timestamptz", "Waktu penetapan status kontrak", "Contract status decision time"),
    "alasan_penetapan_status_kontrak": ("text", "Alasan penetapan status kontrak", "Contract status reason"),
    "apakah_addendum": ("text", "Adendum (Ya/Tidak)", "Addendum (Ya/Tidak)"),
    "versi_addendum": ("integer", "Versi adendum (0 = kontrak awal)", "Addendum version (0 = original)"),
    "alasan_addendum": ("text", "Alasan adendum", "Addendum reason"),
    "jabatan_penandatangan_sk": ("text", "Jabatan penandatangan SK", "Decree signer position"),
    "no_bast": ("text", "Nomor BAST", "Handover certificate number"),
    "tgl_bast": ("date", "Tanggal BAST", "Handover date"),
    "no_bap": ("text", "Nomor BAP", "Payment certificate number"),
    "tgl_bap": ("date", "Tanggal BAP", "Payment certificate date"),
    "besar_pembayaran": (_M, "Besar pembayaran", "Payment amount"),
    "progres_pekerjaan": ("numeric", "Progres pekerjaan (%)", "Work progress (%)"),
    "cara_pembayaran_kontrak": ("text", "Cara pembayaran (Sekaligus, Bulanan, Termin)", "Payment schedule"),
    # pencatatan
    "kd_nontender_pct": ("bigint", "Kode pencatatan non tender", "Recorded non-tender id"),
    "total_realisasi": (_M, "Total realisasi", "Total realised value"),
    "nilai_pdn_pct": (_M, "Nilai PDN pencatatan", "Domestic-product value"),
    "nilai_umk_pct": (_M, "Nilai UMK pencatatan", "Small-business value"),
    "kategori_pengadaan": ("text", "Kategori pengadaan", "Procurement category"),
    "bukti_pembayaran": ("text", "Bukti pembayaran", "Payment evidence type"),
    "status_nontender_pct": ("text", "Status pencatatan (Aktif, Ditutup)", "Record status"),
    "status_nontender_pct_ket": ("text", "Keterangan status pencatatan", "Record status detail"),
    "alasan_pembatalan": ("text", "Alasan pembatalan", "Cancellation reason"),
    "tgl_mulai_paket": ("timestamptz", "Waktu mulai paket", "Package start time"),
    "tgl_selesai_paket": ("date", "Tanggal selesai paket", "Package end date"),
    "jenis_realisasi": ("text", "Jenis bukti realisasi", "Realisation evidence type"),
    "no_realisasi": ("text", "Nomor realisasi", "Realisation number"),
    "tgl_realisasi": ("date", "Tanggal realisasi", "Realisation date"),
    "nilai_realisasi": (_M, "Nilai realisasi", "Realised value"),
    "dok_realisasi": ("text", "Dokumen realisasi", "Realisation document"),
    "ket_realisasi": ("text", "Keterangan realisasi", "Realisation note"),
    # e-katalog
    "satker_id": ("bigint", "Id satker e-katalog (= kd_satker SIRUP)", "e-Catalogue work-unit id (= SIRUP kd_satker)"),
    "npwp_satker": ("text", "NPWP satker", "Work-unit tax id"),
    "kd_paket": ("text", "Kode paket e-purchasing", "e-Purchasing order id"),
    "kd_paket_produk": ("bigint", "Kode baris produk paket (INAPROC)", "Order line id (INAPROC)"),
    "no_paket": ("text", "Nomor paket", "Order number"),
    "nama_sumber_dana": ("text", "Sumber dana", "Funding source"),
    "kode_anggaran": ("text", "Kode anggaran (MAK)", "Budget account code"),
    "kd_komoditas": ("bigint", "Kode komoditas", "Commodity id"),
    "kd_produk": ("bigint", "Kode produk", "Product id"),
    "kd_penyedia_distributor": ("bigint", "Kode distributor penyedia", "Vendor distributor id"),
    "jml_jenis_produk": ("integer", "Jumlah jenis produk", "Number of product lines"),
    "kuantitas": ("numeric", "Kuantitas", "Quantity"),
    "harga_satuan": (_M, "Harga satuan", "Unit price"),
    "ongkos_kirim": (_M, "Ongkos kirim", "Shipping cost"),
    "total_harga": (_M, "Total harga", "Total price"),
    "kd_user_pokja": ("bigint", "Id pengguna pokja/PP", "Committee user id"),
    "kd_user_ppk": ("bigint", "Id pengguna PPK", "PPK user id"),
    "ppk_nip": ("text", "NIP PPK", "PPK staff id"),
    "tanggal_buat_paket": ("date", "Tanggal paket dibuat", "Order creation date"),
    "tanggal_edit_paket": ("date", "Tanggal paket diubah", "Order edit date"),
    "deskripsi": ("text", "Deskripsi", "Description"),
    "status_paket": ("text", "Status alur paket v5", "v5 workflow state"),
    "paket_status_str": ("text", "Status paket v5 (Paket Proses, Paket Selesai)", "v5 order status"),
    "catatan_produk": ("text", "Catatan produk", "Product note"),
    "kd_provinsi_wilayah_harga": ("integer", "Kode provinsi wilayah harga (e-katalog)", "Price-zone province code"),
    "kd_kabupaten_wilayah_harga": ("integer", "Kode kabupaten wilayah harga (e-katalog)", "Price-zone district code"),
    "jenis_instansi": ("text", "Jenis instansi pembeli", "Buyer institution type"),
    "nama_instansi": ("text", "Nama instansi pembeli", "Buyer institution name"),
    "rup_nama_pkt": ("text", "Nama paket RUP", "RUP package name"),
    "product_ids": ("text", "Id produk (daftar ,)", "Product ids (, list)"),
    "kd_penyedia_v6": ("text", "Kode penyedia e-katalog v6 (ULID)", "e-Catalogue v6 vendor id (ULID)"),
    "kd_penyedia_sikap": ("bigint", "Kode penyedia SIKaP (0 = tidak diketahui)", "SIKaP vendor id (0 = unknown)"),
    "jml_produk": ("numeric", "Jumlah produk", "Total quantity"),
    "ongkir": (_M, "Ongkos kirim", "Shipping fee"),
    "tgl_order": ("date", "Tanggal pesanan", "Order date"),
    "status_pkt": ("text", "Status paket v6", "v6 order status"),
    "status_pengiriman": ("text", "Status pengiriman v6", "v6 shipment status"),
    # toko daring
    "order_id": ("text", "Id pesanan toko daring", "Online-shop order id"),
    "order_desc": ("text", "Deskripsi pesanan", "Order description"),
    "valuasi": (_M, "Nilai transaksi", "Transaction value"),
    "kategori": ("text", "Kategori", "Category"),
    "metode_bayar": ("text", "Metode bayar", "Payment method"),
    "tanggal_transaksi": ("timestamptz", "Waktu transaksi", "Transaction time"),
    "marketplace": ("text", "Lokapasar", "Marketplace"),
    "merchant_name": ("text", "Nama pedagang", "Merchant name"),
    "jenis_transaksi": ("text", "Jenis transaksi", "Transaction type"),
    "kota_kab": ("text", "Kota/kabupaten", "City/district"),
    "provinsi": ("text", "Provinsi", "Province"),
    "status_verif": ("text", "Status verifikasi", "Verification status"),
    "sumber_data": ("text", "Sumber data", "Data source"),
    "status_konfirmasi_ppmse": ("text", "Status konfirmasi PPMSE", "Marketplace confirmation status"),
    "keterangan_ppmse": ("text", "Keterangan PPMSE", "Marketplace note"),
    # lineage from the source
    "source_event_date": ("date", "Tanggal partisi/penarikan sumber (_event_date/tgl_penarikan)",
                          "Source partition/extraction date (_event_date/tgl_penarikan)"),
    "source_inserted_at": ("timestamptz", "Waktu sisip sumber (_inserted_date)", "Source insert time (_inserted_date)"),
}


def _columns(names: list[str], key: tuple[str, ...], required: tuple[str, ...] = ()) -> tuple[Column, ...]:
    """Build columns from ``_DOC``; ``"name:type"`` overrides the type. Key columns are required."""
    out: list[Column] = []
    for entry in names:
        name, _, override = entry.partition(":")
        default_type, doc_id, doc_en = _DOC[name]
        pg_type = override or default_type
        if pg_type not in PG_TYPES:
            raise ValueError(f"bad pg type {pg_type!r} for {name}")
        out.append(Column(name, pg_type, name in key or name in required, doc_id, doc_en))
    return tuple(out)


_RUP_ID = ["tahun_anggaran", "kd_klpd", "nama_klpd", "jenis_klpd", "kd_satker:bigint", "kd_satker_str", "nama_satker"]
_SPSE_ID = ["tahun_anggaran", "kd_klpd", "nama_klpd", "jenis_klpd", "kd_satker", "kd_satker_str", "nama_satker"]
_RUP_FLAGS = ["status_aktif_rup", "status_delete_rup", "status_umumkan_rup"]
_PENYEDIA_WIN = ["kd_penyedia", "nama_penyedia", "npwp_penyedia", "npwp_16_penyedia"]
_STATUS_KONTRAK = ["status_kontrak", "tgl_penetapan_status_kontrak", "alasan_penetapan_status_kontrak",
                   "apakah_addendum", "versi_addendum", "alasan_addendum"]


def _ekontrak_kontrak(pkg: str) -> list[str]:
    """Columns of the *-2Kontrak feeds (tender: ``kd_tender``, non-tender: ``kd_nontender``)."""
    return [*_SPSE_ID, "alamat_satker", "kd_lpse", pkg, "nama_paket", "mtd_pengadaan", "lingkup_pekerjaan",
            "no_sppbj", "no_kontrak", "tgl_kontrak", "tgl_kontrak_awal", "tgl_kontrak_akhir", "kota_kontrak",
            "nip_ppk", "nama_ppk", "jabatan_ppk", "no_sk_ppk", *_PENYEDIA_WIN, "bentuk_usaha_penyedia",
            "tipe_penyedia", "anggota_kso", "wakil_sah_penyedia", "jabatan_wakil_penyedia", "nilai_kontrak",
            "alasan_ubah_nilai_kontrak", "alasan_nilai_kontrak_10_persen", "nilai_pdn_kontrak",
            "nilai_umk_kontrak", "jenis_kontrak", "informasi_lainnya", *_STATUS_KONTRAK, "source_event_date"]


def _ekontrak_bapbast(pkg: str) -> list[str]:
    """Columns of the *-4BAPBAST feeds (one row per payment / handover)."""
    return [*_SPSE_ID, "alamat_satker", "kd_lpse", pkg, "nama_paket", "mtd_pengadaan", "lingkup_pekerjaan",
            "no_sppbj", "no_kontrak", "tgl_kontrak", "nilai_kontrak", "nip_ppk", "nama_ppk", "jabatan_ppk",
            "no_sk_ppk", "jabatan_penandatangan_sk", *_PENYEDIA_WIN, "alamat_penyedia", "wakil_sah_penyedia",
            "jabatan_wakil_penyedia", "no_bast", "tgl_bast", "no_bap", "tgl_bap", "besar_pembayaran",
            "progres_pekerjaan", "cara_pembayaran_kontrak", *_STATUS_KONTRAK, "source_event_date",
            "source_inserted_at"]


def _spec(name: str, isb: str, path: str, filter_by: str, order: tuple[str, ...], key: tuple[str, ...],
          names: list[str], required: tuple[str, ...] = ()) -> DatasetSpec:
    """Assemble one :class:`DatasetSpec` (kept tiny so the table below reads like the contract)."""
    return DatasetSpec(name, isb, path, filter_by, order, key, _columns(names, key, required))  # type: ignore[arg-type]


_TK = ("tahun", "kd_klpd")   # ISB parameter order tipe 4:12
_KT = ("kd_klpd", "tahun")   # RUP-MasterSatker, Bela (tipe 12:12 / 12:4)
_TL = ("tahun", "kd_lpse")   # SPSE feeds (tipe 4:4)
_REQ = ("kd_klpd",)

DATASETS: dict[str, DatasetSpec] = {s.name: s for s in [
    _spec("rup_master_satker", "RUP-MasterSatker", "/v1/rup/master-satker", "klpd", _KT, ("kd_satker",),
          ["kd_satker:bigint", "kd_satker_str", "nama_satker", "alamat", "kodepos", "status_satker", "ket_satker",
           "jenis_satker", "kd_klpd", "nama_klpd", "jenis_klpd", "kode_eselon", "tahun_aktif",
           "source_event_date"], _REQ),
    _spec("rup_struktur_anggaran", "RUP-StrukturAnggaranPD", "/v1/rup/struktur-anggaran-pd", "klpd", _TK,
          ("kd_satker",),
          ["tahun_anggaran", "kd_klpd", "nama_klpd", "kd_satker:bigint", "kd_satker_str", "nama_satker",
           "belanja_operasi", "belanja_modal", "belanja_btt", "belanja_non_pengadaan", "belanja_pengadaan",
           "total_belanja", "source_event_date"], _REQ),
    _spec("rup_paket_penyedia", "RUP-PaketPenyedia-Terumumkan", "/v1/rup/paket-penyedia-terumumkan", "klpd",
          _TK, ("kd_rup",),
          [*_RUP_ID, "kd_rup", "nama_paket", "pagu", "kd_metode_pengadaan", "metode_pengadaan",
           "kd_jenis_pengadaan", "jenis_pengadaan", "status_pradipa", "status_pdn", "status_ukm", "alasan_non_ukm",
           "status_konsolidasi", "tipe_paket", "kd_rup_swakelola", "kd_rup_lokal", "volume_pekerjaan",
           "uraian_pekerjaan", "spesifikasi_pekerjaan", "tgl_awal_pemilihan", "tgl_akhir_pemilihan",
           "tgl_awal_kontrak", "tgl_akhir_kontrak", "tgl_awal_pemanfaatan", "tgl_akhir_pemanfaatan",
           "tgl_buat_paket:date", "tgl_pengumuman_paket", "nip_ppk", "nama_ppk", "username_ppk", *_RUP_FLAGS,
           "status_dikecualikan", "alasan_dikecualikan", "tahun_pertama", "kode_rup_tahun_pertama",
           "nomor_kontrak", "spp_aspek_ekonomi", "spp_aspek_sosial", "spp_aspek_lingkungan",
           "source_event_date"], ("tahun_anggaran", "kd_klpd", "pagu")),
    _spec("rup_paket_swakelola", "RUP-PaketSwakelola-Terumumkan", "/v1/rup/paket-swakelola-terumumkan", "klpd",
          _TK, ("kd_rup",),
          [*_RUP_ID, "kd_rup", "nama_paket", "pagu", "tipe_swakelola", "volume_pekerjaan", "uraian_pekerjaan",
           "kd_klpd_penyelenggara", "nama_klpd_penyelenggara", "nama_satker_penyelenggara",
           "tgl_awal_pelaksanaan_kontrak", "tgl_akhir_pelaksanaan_kontrak", "tgl_buat_paket:date",
           "tgl_pengumuman_paket", "nip_ppk", "nama_ppk", "username_ppk", "kd_rup_lokal", *_RUP_FLAGS,
           "source_event_date"], ("tahun_anggaran", "kd_klpd", "pagu")),
    _spec("rup_paket_anggaran_penyedia", "RUP-PaketAnggaranPenyedia", "/v1/rup/paket-anggaran-penyedia", "klpd",
          _TK, ("kd_rup", "mak", "sumber_dana"),
          [*_RUP_ID, "kd_rup", "kd_rup_lokal", "kd_kegiatan", "kd_komponen", "kd_subkegiatan", "pagu", "mak",
           "sumber_dana", "asal_dana", "tahun_anggaran_dana", "asal_dana_klpd", "asal_dana_satker", *_RUP_FLAGS,
           "source_event_date"], ("tahun_anggaran", "kd_klpd", "pagu")),
    _spec("spse_tender_pengumuman", "SPSE-TenderPengumuman", "/v1/tender/pengumuman", "lpse", _TL,
          ("kd_tender",),
          ["tahun_anggaran", "list_tahun_anggaran", "kd_klpd", "nama_klpd", "jenis_klpd", "kd_satker",
           "kd_satker_str", "nama_satker", "kd_lpse", "nama_lpse", "kd_tender", "kd_pkt_dce", "kd_rup:text",
           "nama_paket", "pagu", "hps", "sumber_dana", "mak", "kualifikasi_paket", "jenis_pengadaan",
           "mtd_pemilihan", "mtd_evaluasi", "mtd_kualifikasi", "kontrak_pembayaran", "jenis_kontrak",
           "status_tender", "tanggal_status", "versi_tender", "ket_ditutup", "ket_diulang", "tgl_buat_paket",
           "tgl_kolektif_kolegial", "tgl_pengumuman_tender", "nip_ppk", "nama_ppk", "nip_pokja", "nama_pokja",
           "lokasi_pekerjaan", "url_lpse", "source_event_date"], ("tahun_anggaran", "kd_klpd")),
    _spec("spse_tender_selesai_nilai", "SPSE-TenderSelesaiNilai", "/v1/tender/tender-selesai-nilai", "lpse", _TL,
          ("kd_tender",),
          ["tahun_anggaran", "kd_klpd", "nama_klpd", "jenis_klpd", "kd_satker_str", "nama_satker", "kd_lpse",
           "kd_tender", "kd_pkt_dce", "kd_rup:text", "pagu", "hps", "nilai_penawaran", "nilai_terkoreksi",
           "nilai_negosiasi", "nilai_kontrak", "tgl_pengumuman_tender:date", "tgl_penetapan_pemenang:date",
           *_PENYEDIA_WIN, "nilai_pdn_kontrak", "nilai_umk_kontrak", "psr_id", "source_event_date"],
          ("tahun_anggaran", "kd_klpd")),
    _spec("spse_tender_ekontrak_kontrak", "SPSE-TenderEkontrak-2Kontrak", "/v1/tender/tender-ekontrak-kontrak",
          "lpse", _TL, ("kd_tender", "versi_addendum"), _ekontrak_kontrak("kd_tender"), _REQ),
    _spec("spse_tender_ekontrak_bapbast", "SPSE-TenderEkontrak-4BAPBAST", "/v1/tender/tender-ekontrak", "lpse",
          _TL, ("kd_tender", "no_bap", "no_bast"), _ekontrak_bapbast("kd_tender")),
    _spec("spse_nontender_pengumuman", "SPSE-NonTenderPengumuman", "/v1/tender/non-tender-pengumuman", "lpse",
          _TL, ("kd_nontender",),
          [*_SPSE_ID, "lls_id", "kd_lpse", "nama_lpse", "kd_nontender", "kd_pkt_dce", "kd_rup:text", "nama_paket",
           "pagu", "hps", "sumber_dana", "mak", "kualifikasi_paket", "jenis_pengadaan", "mtd_pemilihan",
           "kontrak_pembayaran", "status_nontender", "versi_nontender", "ket_diulang", "ket_ditutup",
           "tgl_buat_paket", "tgl_kolektif_kolegial", "tgl_pengumuman_nontender", "nip_nama_ppk",
           "nip_nama_pokja", "nip_nama_pp", "url_lpse", "repeat_order", "source_event_date"],
          ("tahun_anggaran", "kd_klpd")),
    _spec("spse_nontender_selesai", "SPSE-NonTenderSelesai", "/v1/tender/non-tender-selesai", "lpse", _TL,
          ("kd_nontender",),
          [*_SPSE_ID, "kd_lpse", "nama_lpse", "kd_nontender", "kd_pkt_dce", "kd_rup:text", "nama_paket", "pagu",
           "hps", "nilai_penawaran", "nilai_terkoreksi", "nilai_negosiasi", "nilai_kontrak", "nilai_pdn_kontrak",
           "nilai_umk_kontrak", "sumber_dana", "mak", "kualifikasi_paket", "jenis_pengadaan", "mtd_pemilihan",
           "kontrak_pembayaran", "status_nontender", "tgl_pengumuman_nontender", "tgl_selesai_nontender",
           *_PENYEDIA_WIN, "url_lpse", "source_event_date"], ("tahun_anggaran",)),
    _spec("spse_nontender_ekontrak_kontrak", "SPSE-NonTenderEkontrak-2Kontrak",
          "/v1/tender/non-tender-ekontrak-kontrak", "lpse", _TL, ("kd_nontender", "versi_addendum"),
          _ekontrak_kontrak("kd_nontender"), _REQ),
    _spec("spse_nontender_ekontrak_bapbast", "SPSE-NonTenderEkontrak-4BAPBAST", "/v1/tender/non-tender-ekontrak",
          "lpse", _TL, ("kd_nontender", "no_bap", "no_bast"), _ekontrak_bapbast("kd_nontender")),
    _spec("spse_pencatatan_nontender", "SPSE-PencatatanNonTender", "/v1/tender/pencatatan-non-tender", "lpse",
          _TL, ("kd_nontender_pct",),
          [*_SPSE_ID, "kd_lpse", "nama_lpse", "kd_nontender_pct", "kd_pkt_dce", "kd_rup:text", "nama_paket", "pagu",
           "total_realisasi", "nilai_pdn_pct", "nilai_umk_pct", "sumber_dana", "uraian_pekerjaan",
           "informasi_lainnya", "kategori_pengadaan", "mtd_pemilihan", "bukti_pembayaran", "status_nontender_pct",
           "status_nontender_pct_ket", "alasan_pembatalan", "nip_ppk", "nama_ppk", "tgl_buat_paket",
           "tgl_mulai_paket", "tgl_selesai_paket", "source_event_date"], ("tahun_anggaran", "kd_klpd")),
    _spec("spse_pencatatan_nontender_realisasi", "SPSE-PencatatanNonTenderRealisasi",
          "/v1/tender/pencatatan-non-tender-realisasi", "lpse", _TL,
          ("kd_nontender_pct", "no_realisasi", "tgl_realisasi", "nilai_realisasi"),
          [*_SPSE_ID, "kd_lpse", "nama_lpse", "kd_nontender_pct", "kd_pkt_dce", "kd_rup:text", "nama_paket", "pagu",
           "jenis_realisasi", "no_realisasi", "tgl_realisasi", "nilai_realisasi", "dok_realisasi", "ket_realisasi",
           "nama_penyedia", "npwp_penyedia", "nip_ppk", "nama_ppk", "source_event_date"], ("nilai_realisasi",)),
    _spec("ecat_paket_v5", "Ecat-PaketEPurchasing", "/v1/ekatalog-archive/paket-e-purchasing", "klpd", _TK,
          ("kd_paket", "kd_produk"),
          ["tahun_anggaran", "kd_klpd", "satker_id", "nama_satker", "alamat_satker", "npwp_satker",
           "kd_paket:bigint", "kd_paket_produk", "no_paket", "nama_paket", "kd_rup", "nama_sumber_dana",
           "kode_anggaran", "kd_komoditas", "kd_produk", "kd_penyedia", "kd_penyedia_distributor",
           "jml_jenis_produk", "kuantitas", "harga_satuan", "ongkos_kirim", "total_harga", "kd_user_pokja",
           "kd_user_ppk", "ppk_nip", "jabatan_ppk", "tanggal_buat_paket", "tanggal_edit_paket", "deskripsi",
           "status_paket", "paket_status_str", "catatan_produk", "kd_provinsi_wilayah_harga",
           "kd_kabupaten_wilayah_harga", "source_event_date"], ("tahun_anggaran", "kd_klpd")),
    _spec("ecat_paket_v6", "Ecat-PaketEPurchasingV6", "/v1/ekatalog/paket-e-purchasing", "klpd", _TK,
          ("kd_paket",),
          ["tahun_anggaran", "jenis_instansi", "nama_instansi", "kd_klpd", "kd_satker_str", "nama_satker",
           "kd_paket", "kd_rup", "rup_nama_pkt", "product_ids", "sumber_dana", "mak", "kd_penyedia_v6",
           "kd_penyedia_sikap", "jml_jenis_produk", "jml_produk", "ongkir", "total_harga", "tgl_order",
           "status_pkt", "status_pengiriman", "source_event_date"], ("tahun_anggaran", "kd_klpd")),
    _spec("bela_toko_daring", "Bela-TokoDaringRealisasi", "/v1/bela/toko-daring-realisasi", "klpd", _KT,
          ("order_id",),
          ["tahun_anggaran", "kd_klpd", "nama_klpd", "kd_satker:bigint", "nama_satker", "order_id", "order_desc",
           "valuasi", "kategori", "metode_bayar", "tanggal_transaksi", "marketplace", "merchant_name",
           "jenis_transaksi", "kota_kab", "provinsi", "status_verif", "sumber_data", "status_konfirmasi_ppmse",
           "keterangan_ppmse", "source_event_date"], ("kd_klpd",)),
]}


def spec(name: str) -> DatasetSpec:
    """The spec of dataset ``name``; the KeyError lists valid names so a typo is obvious."""
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; valid names: {', '.join(sorted(DATASETS))}") from None


# ---------------------------------------------------------------------------------------------
# Code lists (sources.md §4). Validation reports values outside these lists; it must not hard-fail
# on them (§8: lists are incomplete). Legacy (≤2022) spellings are included where §4 names them.
# ---------------------------------------------------------------------------------------------
KD_METODE_PENGADAAN: dict[int, str] = {8: "Pengadaan Langsung", 9: "E-Purchasing", 13: "Tender", 15: "Seleksi"}

KNOWN_CODES: dict[str, frozenset[str]] = {
    "metode_pengadaan": frozenset({
        "Pengadaan Langsung", "E-Purchasing", "e-Purchasing", "Tender", "Seleksi", "Penunjukan Langsung",
        "Dikecualikan", "Tender Cepat", "Sayembara", "Kontes", "Swakelola", "0"}),
    "mtd_pemilihan": frozenset({
        "Tender", "Tender Cepat", "Seleksi", "Pengadaan Langsung", "Penunjukan Langsung", "Dikecualikan",
        "E-Purchasing", "Sayembara", "Kontes"}),
    "jenis_pengadaan_rup": frozenset({"Barang", "Pekerjaan Konstruksi", "Jasa Konsultansi", "Jasa Lainnya"}),
    "jenis_pengadaan_spse": frozenset({
        "Pengadaan Barang", "Pekerjaan Konstruksi", "Jasa Konsultansi Badan Usaha Konstruksi",
        "Jasa Konsultansi Badan Usaha Non Konstruksi", "Jasa Konsultansi Perorangan Konstruksi",
        "Jasa Konsultansi Perorangan Non Konstruksi", "Jasa Konsultansi Perorangan", "Jasa Lainnya"}),
    "status_umumkan_rup": frozenset({"Terumumkan", "Terinisiasi"}),
    "status_tender": frozenset({"Selesai", "Berlangsung", "Gagal/Batal", "Aktif", "Ditutup"}),
    "status_nontender": frozenset({"Selesai", "Berlangsung", "Gagal/Batal", "-", "Draft", "Aktif"}),
    "status_kontrak": frozenset({"Kontrak Sedang Berjalan", "Kontrak Selesai"}),
    "status_nontender_pct": frozenset({"Aktif", "Ditutup"}),
    "status_nontender_pct_ket": frozenset({"Paket Selesai", "Paket Sedang Berjalan", "Paket Dibatalkan"}),
    "paket_status_str": frozenset({"Paket Proses", "Paket Selesai"}),
    "status_paket": frozenset({
        "memproses_paket", "proses_negosiasi", "persetujuan_panitia", "persetujuan_penyedia",
        "mengirimkan_ke_ppk", "review_paket", "proses_kontrak_ppk", "melakukan_pengiriman_dan_penerimaan",
        "proses_adendum_kontrak", "verifikasi_penyelesaian_paket", "paket_selesai"}),
    "status_pkt": frozenset({"ON_PROCESS", "COMPLETED", "PAYMENT_OUTSIDE_SYSTEM", "ON_ADDENDUM"}),
    "status_pengiriman": frozenset({"DRAFT", "PROCESSING", "SHIPPING", "DELIVERED", "BUYER_CONFIRMED", "COMPLETED"}),
    # tokens of a possibly combined value ("APBD;APBDP", "APBD,APBDP"): split on ; or , first
    "sumber_dana": frozenset({"APBD", "APBDP", "BLUD", "APBN", "BUMD", "PHLN"}),
    "jenis_klpd": frozenset({"KABUPATEN", "KOTA", "PROVINSI", "KEMENTERIAN", "KEMENTRIAN", "LEMBAGA", "BUMD"}),
    "kualifikasi_paket": frozenset({"Kecil", "Menengah", "Besar", "Perusahaan Kecil"}),
    "kontrak_pembayaran": frozenset({"Lumsum", "Harga Satuan", "Gabungan Lumsum dan Harga Satuan", "Waktu Penugasan"}),
    "cara_pembayaran_kontrak": frozenset({"Sekaligus", "Bulanan", "Termin"}),
    "jenis_realisasi": frozenset({"Kwitansi", "Bukti Pembelian", "Surat Perjanjian", "Surat Pesanan",
                                  "Dokumen Lainnya"}),
    "status_pradipa": frozenset({"PraDIPA", "Non-PraDIPA"}),
    "ket_satker": frozenset({"Satker/OPD BLU/BLUD", "Satker/OPD Non-BLU/BLUD"}),
    "jenis_satker": frozenset({"SKPD", "Pusat"}),
}
