-- Core: conformed dimensions and facts, current state (docs/architecture.md "core").
-- Every row carries lineage: fetch_id (raw.fetch that produced the current values), load_id
-- (audit.load_log), src_partition ("dataset/instansi/tahun" that owns the row) and soft-delete
-- flags: rows missing from a newer snapshot of their partition get is_deleted = true and
-- deleted_at = snapshot date; nothing is ever physically deleted (so FKs below always hold).
-- Rows are written only by pantau.load (set-based upserts from staging, include/sql/core/*.sql).

-- ---------------------------------------------------------------- dimensions
CREATE TABLE core.dim_klpd (
    kd_klpd        text PRIMARY KEY,
    nama_klpd      text,
    jenis_klpd     text,
    kd_lpse        integer,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date
);

CREATE TABLE core.dim_satker (
    kd_klpd          text NOT NULL REFERENCES core.dim_klpd,
    kd_satker_str    text NOT NULL,
    nama_satker      text,
    sirup_kd_satker  bigint,
    spse_kd_satker   text[],
    ecat_satker_id   bigint,
    jenis_satker     text,
    ket_satker       text,
    status_satker    text,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date,
    PRIMARY KEY (kd_klpd, kd_satker_str)
);
CREATE INDEX dim_satker_sirup_idx ON core.dim_satker (kd_klpd, sirup_kd_satker);

CREATE TABLE core.struktur_anggaran (
    tahun_anggaran         smallint NOT NULL,
    kd_klpd                text NOT NULL,
    kd_satker_str          text NOT NULL,
    sirup_kd_satker        bigint,
    nama_satker            text,
    belanja_operasi        numeric(20,2),
    belanja_modal          numeric(20,2),
    belanja_btt            numeric(20,2),
    belanja_non_pengadaan  numeric(20,2),
    belanja_pengadaan      numeric(20,2),
    total_belanja          numeric(20,2),
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date,
    PRIMARY KEY (tahun_anggaran, kd_klpd, kd_satker_str)
);

-- ---------------------------------------------------------------- RUP (plan)
CREATE TABLE core.rup_paket (
    kd_rup                bigint PRIMARY KEY,
    tahun_anggaran        smallint,
    kd_klpd               text,
    kd_satker_str         text,
    sirup_kd_satker       bigint,
    nama_satker           text,
    tipe                  text NOT NULL CHECK (tipe IN ('penyedia', 'swakelola')),
    nama_paket            text,
    pagu                  numeric(20,2),
    kd_metode_pengadaan   integer,
    metode_pengadaan      text,
    kd_jenis_pengadaan    text,
    jenis_pengadaan       text,
    tipe_swakelola        integer,
    status_umumkan_rup    text,
    status_aktif_rup      boolean,
    status_delete_rup     boolean,
    status_dikecualikan   boolean,
    tgl_pengumuman_paket  timestamptz,
    tgl_buat_paket        date,
    tgl_awal_pemilihan    date,
    tgl_akhir_pemilihan   date,
    tgl_awal_kontrak      date,
    tgl_akhir_kontrak     date,
    nip_ppk               text,
    nama_ppk              text,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date
);
CREATE INDEX rup_paket_klpd_idx ON core.rup_paket (kd_klpd, tahun_anggaran, kd_satker_str);
CREATE INDEX rup_paket_partition_idx ON core.rup_paket (src_partition);

CREATE TABLE core.rup_anggaran (
    kd_rup              bigint NOT NULL,
    mak                 text NOT NULL,
    sumber_dana         text NOT NULL,
    tipe                text NOT NULL DEFAULT 'penyedia' CHECK (tipe IN ('penyedia', 'swakelola')),
    tahun_anggaran      smallint,
    kd_klpd             text,
    kd_satker_str       text,
    pagu                numeric(20,2),
    asal_dana           text,
    kd_subkegiatan      bigint,
    status_umumkan_rup  text,
    status_aktif_rup    boolean,
    status_delete_rup   boolean,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date,
    PRIMARY KEY (kd_rup, mak, sumber_dana)
);
CREATE INDEX rup_anggaran_partition_idx ON core.rup_anggaran (src_partition);

-- ---------------------------------------------------------------- SPSE tender / non-tender
CREATE TABLE core.tender (
    kd_tender               bigint PRIMARY KEY,
    tahun_anggaran          smallint,
    kd_klpd                 text,
    kd_lpse                 integer,
    kd_satker_str           text,
    spse_kd_satker          text,
    kd_pkt_dce              bigint,
    kd_rup_list             text,
    nama_paket              text,
    pagu                    numeric(20,2),
    hps                     numeric(20,2),
    sumber_dana             text,
    mtd_pemilihan           text,
    jenis_pengadaan         text,
    status_tender           text,
    versi_tender            integer,
    tanggal_status          date,
    tgl_pengumuman_tender   timestamptz,
    nilai_kontrak           numeric(20,2),
    tgl_penetapan_pemenang  date,
    kd_penyedia             bigint,
    nama_penyedia           text,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date
);
CREATE INDEX tender_partition_idx ON core.tender (src_partition);

CREATE TABLE core.tender_rup (
    kd_tender  bigint NOT NULL REFERENCES core.tender,
    kd_rup     bigint NOT NULL,
    ordinal    integer NOT NULL,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date,
    PRIMARY KEY (kd_tender, kd_rup)
);
CREATE INDEX tender_rup_rup_idx ON core.tender_rup (kd_rup);
CREATE INDEX tender_rup_partition_idx ON core.tender_rup (src_partition);

CREATE TABLE core.nontender (
    kd_nontender              bigint PRIMARY KEY,
    tahun_anggaran            smallint,
    kd_klpd                   text,
    kd_lpse                   integer,
    kd_satker_str             text,
    spse_kd_satker            text,
    kd_pkt_dce                bigint,
    kd_rup_list               text,
    nama_paket                text,
    pagu                      numeric(20,2),
    hps                       numeric(20,2),
    sumber_dana               text,
    mtd_pemilihan             text,
    jenis_pengadaan           text,
    status_nontender          text,
    versi_nontender           integer,
    tgl_pengumuman_nontender  timestamptz,
    tgl_selesai_nontender     timestamptz,
    nilai_kontrak             numeric(20,2),
    kd_penyedia               bigint,
    nama_penyedia             text,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date
);
CREATE INDEX nontender_partition_idx ON core.nontender (src_partition);

CREATE TABLE core.nontender_rup (
    kd_nontender  bigint NOT NULL REFERENCES core.nontender,
    kd_rup        bigint NOT NULL,
    ordinal       integer NOT NULL,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date,
    PRIMARY KEY (kd_nontender, kd_rup)
);
CREATE INDEX nontender_rup_rup_idx ON core.nontender_rup (kd_rup);
CREATE INDEX nontender_rup_partition_idx ON core.nontender_rup (src_partition);

-- ---------------------------------------------------------------- e-Kontrak
CREATE TABLE core.kontrak (
    sumber            text NOT NULL CHECK (sumber IN ('tender', 'nontender')),
    kd_paket_spse     bigint NOT NULL,
    versi_addendum    integer NOT NULL,
    tahun_anggaran    smallint,
    kd_klpd           text,
    kd_lpse           integer,
    kd_satker_str     text,
    no_kontrak        text,
    tgl_kontrak       date,
    tgl_kontrak_awal  date,
    tgl_kontrak_akhir date,
    nilai_kontrak     numeric(20,2),
    jenis_kontrak     text,
    status_kontrak    text,
    nama_penyedia     text,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date,
    PRIMARY KEY (sumber, kd_paket_spse, versi_addendum)
);
CREATE INDEX kontrak_partition_idx ON core.kontrak (src_partition);

CREATE TABLE core.pembayaran (
    sumber                   text NOT NULL CHECK (sumber IN ('tender', 'nontender')),
    kd_paket_spse            bigint NOT NULL,
    no_bap                   text NOT NULL,
    tahun_anggaran           smallint,
    kd_klpd                  text,
    kd_lpse                  integer,
    kd_satker_str            text,
    tgl_bap                  date,
    no_bast                  text NOT NULL,
    tgl_bast                 date,
    besar_pembayaran         numeric(20,2),
    progres_pekerjaan        numeric(9,2),
    cara_pembayaran_kontrak  text,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date,
    PRIMARY KEY (sumber, kd_paket_spse, no_bap, no_bast)
);
CREATE INDEX pembayaran_partition_idx ON core.pembayaran (src_partition);

-- ---------------------------------------------------------------- pencatatan
CREATE TABLE core.pencatatan (
    jenis               text NOT NULL CHECK (jenis IN ('nontender', 'swakelola')),
    kd_pct              bigint NOT NULL,
    tahun_anggaran      smallint,
    kd_klpd             text,
    kd_lpse             integer,
    kd_satker_str       text,
    kd_pkt_dce          bigint,
    kd_rup_list         text,
    nama_paket          text,
    pagu                numeric(20,2),
    total_realisasi     numeric(20,2),
    sumber_dana         text,
    kategori_pengadaan  text,
    mtd_pemilihan       text,
    status              text,
    status_ket          text,
    alasan_pembatalan   text,
    tgl_buat_paket      timestamptz,
    tgl_mulai_paket     timestamptz,
    tgl_selesai_paket   date,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date,
    PRIMARY KEY (jenis, kd_pct)
);
CREATE INDEX pencatatan_partition_idx ON core.pencatatan (src_partition);

CREATE TABLE core.pencatatan_rup (
    jenis    text NOT NULL,
    kd_pct   bigint NOT NULL,
    kd_rup   bigint NOT NULL,
    ordinal  integer NOT NULL,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date,
    PRIMARY KEY (jenis, kd_pct, kd_rup),
    FOREIGN KEY (jenis, kd_pct) REFERENCES core.pencatatan
);
CREATE INDEX pencatatan_rup_rup_idx ON core.pencatatan_rup (kd_rup);
CREATE INDEX pencatatan_rup_partition_idx ON core.pencatatan_rup (src_partition);

CREATE TABLE core.pencatatan_realisasi (
    jenis            text NOT NULL CHECK (jenis IN ('nontender', 'swakelola')),
    kd_pct           bigint NOT NULL,
    no_realisasi     text NOT NULL,
    tgl_realisasi    date NOT NULL,
    tahun_anggaran   smallint,
    kd_klpd          text,
    kd_lpse          integer,
    kd_satker_str    text,
    nilai_realisasi  numeric(20,2) NOT NULL,
    jenis_realisasi  text,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date,
    PRIMARY KEY (jenis, kd_pct, no_realisasi, tgl_realisasi, nilai_realisasi)
);
CREATE INDEX pencatatan_realisasi_partition_idx ON core.pencatatan_realisasi (src_partition);

-- ---------------------------------------------------------------- e-purchasing, toko daring
CREATE TABLE core.epurchasing_order (
    versi              text NOT NULL CHECK (versi IN ('v5', 'v6')),
    kd_paket           text NOT NULL,
    tahun_anggaran     smallint,
    kd_klpd            text,
    kd_satker_str      text,
    ecat_satker_id     bigint,
    kd_rup             bigint,
    nama_paket         text,
    sumber_dana        text,
    nilai              numeric(20,2),
    total_harga        numeric(20,2),
    ongkos_kirim       numeric(20,2),
    n_lines            integer,
    jml_produk         numeric(20,4),
    status_pkt         text,
    status_pengiriman  text,
    status_paket       text,
    tgl_order          date,
    tgl_edit           date,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date,
    PRIMARY KEY (versi, kd_paket)
);
CREATE INDEX epurchasing_order_klpd_idx ON core.epurchasing_order (kd_klpd, tahun_anggaran, kd_satker_str);
CREATE INDEX epurchasing_order_rup_idx ON core.epurchasing_order (kd_rup);
CREATE INDEX epurchasing_order_partition_idx ON core.epurchasing_order (src_partition);

CREATE TABLE core.epurchasing_line (
    versi         text NOT NULL DEFAULT 'v5' CHECK (versi = 'v5'),
    kd_paket      text NOT NULL,
    kd_produk     bigint NOT NULL,
    kuantitas     numeric(20,4),
    harga_satuan  numeric(20,2),
    ongkos_kirim  numeric(20,2),
    total_harga   numeric(20,2),
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date,
    PRIMARY KEY (versi, kd_paket, kd_produk),
    FOREIGN KEY (versi, kd_paket) REFERENCES core.epurchasing_order
);
CREATE INDEX epurchasing_line_partition_idx ON core.epurchasing_line (src_partition);

CREATE TABLE core.toko_daring (
    order_id                 text PRIMARY KEY,
    tahun_anggaran           smallint,
    kd_klpd                  text,
    sirup_kd_satker          bigint,
    kd_satker_str            text,
    nama_satker              text,
    valuasi                  numeric(20,2),
    kategori                 text,
    tanggal_transaksi        timestamptz,
    status_verif             text,
    status_konfirmasi_ppmse  text,
    fetch_id bigint NOT NULL, load_id bigint NOT NULL REFERENCES audit.load_log,
    src_partition text NOT NULL, is_deleted boolean NOT NULL DEFAULT false, deleted_at date
);
CREATE INDEX toko_daring_partition_idx ON core.toko_daring (src_partition);

-- ---------------------------------------------------------------- comments: tables
COMMENT ON TABLE core.dim_klpd IS 'Dimensi K/L/PD (instansi) / K/L/PD (instance) dimension';
COMMENT ON TABLE core.dim_satker IS 'Dimensi satker/Perangkat Daerah, kunci (kd_klpd, kd_satker_str); id SIRUP, SPSE dan e-Katalog sebagai atribut / Work-unit dimension keyed by (kd_klpd, kd_satker_str); SIRUP, SPSE and e-Katalog ids as attributes';
COMMENT ON TABLE core.struktur_anggaran IS 'Struktur anggaran belanja per satker (RUP-StrukturAnggaranPD), penyebut ITKP-SiRUP / Spending structure per work unit (RUP-StrukturAnggaranPD), ITKP-SiRUP denominator';
COMMENT ON TABLE core.rup_paket IS 'Paket RUP terumumkan (penyedia dan swakelola) / Announced RUP packages (penyedia and swakelola)';
COMMENT ON TABLE core.rup_anggaran IS 'Baris anggaran paket RUP (MAK, sumber dana) / RUP package budget lines (MAK, source of funds)';
COMMENT ON TABLE core.tender IS 'Percobaan tender SPSE (satu baris per kd_tender), dengan nilai pemenang dari TenderSelesaiNilai / SPSE tender attempts (one row per kd_tender), with winner values from TenderSelesaiNilai';
COMMENT ON TABLE core.tender_rup IS 'Jembatan tender ↔ kd_rup (daftar kd_rup dipisah ";" dipecah) / Bridge tender ↔ kd_rup (";"-separated kd_rup lists exploded)';
COMMENT ON TABLE core.nontender IS 'Percobaan non-tender SPSE (satu baris per kd_nontender), nilai dari NonTenderSelesai / SPSE non-tender attempts (one row per kd_nontender), values from NonTenderSelesai';
COMMENT ON TABLE core.nontender_rup IS 'Jembatan non-tender ↔ kd_rup / Bridge non-tender ↔ kd_rup';
COMMENT ON TABLE core.kontrak IS 'Kontrak e-Kontrak SPSE per versi addendum (tender dan non-tender) / SPSE e-Kontrak contracts per addendum version (tender and non-tender)';
COMMENT ON TABLE core.pembayaran IS 'Pembayaran BAP/BAST e-Kontrak (beberapa per paket) / e-Kontrak BAP/BAST payments (several per package)';
COMMENT ON TABLE core.pencatatan IS 'Paket pencatatan (non-tender / swakelola) di luar e-procurement / Recorded packages (non-tender / swakelola) outside e-procurement';
COMMENT ON TABLE core.pencatatan_rup IS 'Jembatan pencatatan ↔ kd_rup / Bridge pencatatan ↔ kd_rup';
COMMENT ON TABLE core.pencatatan_realisasi IS 'Baris realisasi pencatatan (bukti bayar) / Pencatatan realisation lines (payment evidence)';
COMMENT ON TABLE core.epurchasing_order IS
  'Pesanan e-Katalog: v6 satu baris per pesanan; v5 baris produk digabung per kd_paket: nilai = Σ total_harga + Σ ongkos_kirim (ongkos kirim ikut, karena dibayar dari pagu paket) / e-Katalog orders: v6 one row per order; v5 product lines rolled up per kd_paket: nilai = Σ total_harga + Σ ongkos_kirim (shipping included, as it is paid from the package budget)';
COMMENT ON TABLE core.epurchasing_line IS 'Baris produk e-Katalog v5 (kd_paket × kd_produk) / e-Katalog v5 product lines (kd_paket × kd_produk)';
COMMENT ON TABLE core.toko_daring IS 'Transaksi Toko Daring (Bela) / Online-shop (Bela) transactions';

-- ---------------------------------------------------------------- comments: columns
-- Columns that mean the same in every table get one bilingual comment, applied by name;
-- table-specific columns are commented explicitly below.
CREATE TEMP TABLE _col_comment (column_name text PRIMARY KEY, comment text) ON COMMIT DROP;
INSERT INTO _col_comment VALUES
 ('fetch_id', 'Fetch mentah (raw.fetch) yang menghasilkan nilai baris saat ini / Raw fetch (raw.fetch) that produced the row''s current values'),
 ('load_id', 'Pemuatan (audit.load_log) yang terakhir mengubah baris / Load (audit.load_log) that last changed the row'),
 ('src_partition', 'Partisi pemilik baris "dataset/instansi/tahun" / Owning partition "dataset/instance/year"'),
 ('is_deleted', 'Hilang dari snapshot terbaru partisinya (tidak dihapus fisik) / Missing from its partition''s latest snapshot (never physically removed)'),
 ('deleted_at', 'Tanggal snapshot saat baris hilang / Snapshot date when the row went missing'),
 ('kd_klpd', 'Kode K/L/PD, mis. D107 / K/L/PD code, e.g. D107'),
 ('nama_klpd', 'Nama K/L/PD / K/L/PD name'),
 ('jenis_klpd', 'Jenis K/L/PD (KABUPATEN, KOTA, PROVINSI, …) / K/L/PD kind (KABUPATEN, KOTA, PROVINSI, …)'),
 ('kd_lpse', 'Kode LPSE (ruang kode berbeda dari kd_klpd) / LPSE code (a code space distinct from kd_klpd)'),
 ('kd_satker_str', 'Kode unit SIPD, kunci satker bersama SIRUP/SPSE/e-Katalog / SIPD unit code, the satker key shared by SIRUP/SPSE/e-Katalog'),
 ('nama_satker', 'Nama satker / Perangkat Daerah / Work-unit name'),
 ('sirup_kd_satker', 'ID satker SIRUP (int) / SIRUP work-unit id (int)'),
 ('spse_kd_satker', 'ID satker SPSE (teks, ruang kode SPSE) / SPSE work-unit id (text, SPSE code space)'),
 ('ecat_satker_id', 'ID satker e-Katalog (= kd_satker SIRUP) / e-Katalog work-unit id (= SIRUP kd_satker)'),
 ('tahun_anggaran', 'Tahun anggaran / Fiscal year'),
 ('kd_rup', 'ID paket RUP / RUP package id'),
 ('kd_rup_list', 'Daftar kd_rup asli dipisah ";" (dipecah ke tabel jembatan) / Original ";"-separated kd_rup list (exploded into the bridge table)'),
 ('ordinal', 'Urutan kd_rup dalam daftar asli (0-based) / Position of kd_rup in the original list (0-based)'),
 ('nama_paket', 'Nama paket / Package name'),
 ('pagu', 'Pagu anggaran (Rupiah) / Budget ceiling (Rupiah)'),
 ('hps', 'Harga perkiraan sendiri (Rupiah) / Owner''s estimate (Rupiah)'),
 ('sumber_dana', 'Sumber dana (APBD, APBDP, BLUD, …; "" bila kosong) / Source of funds (APBD, APBDP, BLUD, …; "" when empty)'),
 ('mtd_pemilihan', 'Metode pemilihan SPSE / SPSE selection method'),
 ('jenis_pengadaan', 'Jenis pengadaan / Procurement category'),
 ('kd_pkt_dce', 'ID paket SPSE (kd_paket) / SPSE package id (kd_paket)'),
 ('nilai_kontrak', 'Nilai kontrak (Rupiah) / Contract value (Rupiah)'),
 ('kd_penyedia', 'ID penyedia SPSE / SPSE vendor id'),
 ('nama_penyedia', 'Nama penyedia / Vendor name'),
 ('nip_ppk', 'NIP Pejabat Pembuat Komitmen / Commitment officer''s civil-service id'),
 ('nama_ppk', 'Nama Pejabat Pembuat Komitmen / Commitment officer''s name'),
 ('sumber', 'Asal paket SPSE: tender atau nontender / SPSE package origin: tender or nontender'),
 ('kd_paket_spse', 'kd_tender atau kd_nontender sesuai kolom sumber / kd_tender or kd_nontender depending on sumber'),
 ('jenis', 'Jenis pencatatan: nontender atau swakelola / Record kind: nontender or swakelola'),
 ('kd_pct', 'ID pencatatan (kd_nontender_pct / kd_swakelola_pct) / Record id (kd_nontender_pct / kd_swakelola_pct)'),
 ('versi', 'Versi e-Katalog: v5 atau v6 / e-Katalog version: v5 or v6'),
 ('kd_paket', 'ID pesanan e-Katalog (v5 angka, v6 ULID) / e-Katalog order id (v5 number, v6 ULID)'),
 ('ongkos_kirim', 'Ongkos kirim (Rupiah) / Shipping cost (Rupiah)'),
 ('total_harga', 'Total harga barang (Rupiah) / Goods total (Rupiah)'),
 ('status_umumkan_rup', 'Status pengumuman RUP (Terumumkan, Terinisiasi) / RUP announcement status'),
 ('status_aktif_rup', 'Paket RUP aktif / RUP package active'),
 ('status_delete_rup', 'Paket RUP dihapus di SIRUP / RUP package deleted in SIRUP'),
 ('tgl_buat_paket', 'Tanggal paket dibuat / Package creation date');

DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.table_schema, c.table_name, c.column_name, cc.comment
      FROM information_schema.columns c
      JOIN _col_comment cc USING (column_name)
     WHERE c.table_schema = 'core'
  LOOP
    EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', r.table_schema, r.table_name, r.column_name, r.comment);
  END LOOP;
END $$;

COMMENT ON COLUMN core.dim_klpd.kd_klpd IS 'Kode K/L/PD (kunci) / K/L/PD code (key)';
COMMENT ON COLUMN core.dim_satker.jenis_satker IS 'Jenis satker (SKPD, Pusat) / Work-unit kind (SKPD, Pusat)';
COMMENT ON COLUMN core.dim_satker.ket_satker IS 'Keterangan BLU/BLUD / BLU/BLUD remark';
COMMENT ON COLUMN core.dim_satker.status_satker IS 'Status satker (Aktif) / Work-unit status (Aktif)';
COMMENT ON COLUMN core.struktur_anggaran.belanja_operasi IS 'Belanja operasi / Operating spending';
COMMENT ON COLUMN core.struktur_anggaran.belanja_modal IS 'Belanja modal / Capital spending';
COMMENT ON COLUMN core.struktur_anggaran.belanja_btt IS 'Belanja tidak terduga / Contingency spending';
COMMENT ON COLUMN core.struktur_anggaran.belanja_non_pengadaan IS 'Belanja non-pengadaan / Non-procurement spending';
COMMENT ON COLUMN core.struktur_anggaran.belanja_pengadaan IS 'Belanja pengadaan (= operasi + modal + BTT) / Procurement spending (= operating + capital + contingency)';
COMMENT ON COLUMN core.struktur_anggaran.total_belanja IS 'Total belanja / Total spending';
COMMENT ON COLUMN core.rup_paket.kd_rup IS 'ID paket RUP (kunci) / RUP package id (key)';
COMMENT ON COLUMN core.rup_paket.tipe IS 'penyedia atau swakelola (dataset asal) / penyedia or swakelola (source dataset)';
COMMENT ON COLUMN core.rup_paket.kd_metode_pengadaan IS 'Kode metode pengadaan (8, 9, 13, 15, …) / Procurement method code';
COMMENT ON COLUMN core.rup_paket.metode_pengadaan IS 'Metode pengadaan RUP / RUP procurement method';
COMMENT ON COLUMN core.rup_paket.kd_jenis_pengadaan IS 'Kode jenis pengadaan ("1".."4") / Procurement category code';
COMMENT ON COLUMN core.rup_paket.tipe_swakelola IS 'Tipe swakelola 1..4 (hanya swakelola) / Swakelola type 1..4 (swakelola only)';
COMMENT ON COLUMN core.rup_paket.status_dikecualikan IS 'Paket dikecualikan / Package exempted';
COMMENT ON COLUMN core.rup_paket.tgl_pengumuman_paket IS 'Waktu pengumuman paket / Announcement time';
COMMENT ON COLUMN core.rup_paket.tgl_awal_pemilihan IS 'Rencana awal pemilihan (bulan) / Planned selection start (month)';
COMMENT ON COLUMN core.rup_paket.tgl_akhir_pemilihan IS 'Rencana akhir pemilihan (bulan) / Planned selection end (month)';
COMMENT ON COLUMN core.rup_paket.tgl_awal_kontrak IS 'Rencana awal kontrak/pelaksanaan (bulan) / Planned contract start (month)';
COMMENT ON COLUMN core.rup_paket.tgl_akhir_kontrak IS 'Rencana akhir kontrak/pelaksanaan (bulan) / Planned contract end (month)';
COMMENT ON COLUMN core.rup_anggaran.mak IS 'Mata anggaran kegiatan (kode sub kegiatan + akun; "" bila kosong) / Budget account code ("" when empty)';
COMMENT ON COLUMN core.rup_anggaran.tipe IS 'penyedia atau swakelola / penyedia or swakelola';
COMMENT ON COLUMN core.rup_anggaran.pagu IS 'Pagu baris anggaran / Budget-line ceiling';
COMMENT ON COLUMN core.rup_anggaran.asal_dana IS 'K/L/PD pemilik dana / Fund-owner K/L/PD';
COMMENT ON COLUMN core.rup_anggaran.kd_subkegiatan IS 'ID sub kegiatan / Sub-activity id';
COMMENT ON COLUMN core.tender.kd_tender IS 'ID tender SPSE (kunci, satu per percobaan) / SPSE tender id (key, one per attempt)';
COMMENT ON COLUMN core.tender.status_tender IS 'Status tender (Selesai, Berlangsung, Gagal/Batal) / Tender status';
COMMENT ON COLUMN core.tender.versi_tender IS 'Versi tender (ulang setelah gagal) / Tender version (re-run after failure)';
COMMENT ON COLUMN core.tender.tanggal_status IS 'Tanggal status / Status date';
COMMENT ON COLUMN core.tender.tgl_pengumuman_tender IS 'Waktu pengumuman tender / Tender announcement time';
COMMENT ON COLUMN core.tender.tgl_penetapan_pemenang IS 'Tanggal penetapan pemenang / Award date';
COMMENT ON COLUMN core.tender_rup.kd_tender IS 'ID tender / Tender id';
COMMENT ON COLUMN core.nontender.kd_nontender IS 'ID non-tender SPSE (kunci, satu per percobaan) / SPSE non-tender id (key, one per attempt)';
COMMENT ON COLUMN core.nontender.status_nontender IS 'Status non-tender (Selesai, Berlangsung, Gagal/Batal, -) / Non-tender status';
COMMENT ON COLUMN core.nontender.versi_nontender IS 'Versi non-tender / Non-tender version';
COMMENT ON COLUMN core.nontender.tgl_pengumuman_nontender IS 'Waktu pengumuman / Announcement time';
COMMENT ON COLUMN core.nontender.tgl_selesai_nontender IS 'Waktu selesai / Completion time';
COMMENT ON COLUMN core.nontender_rup.kd_nontender IS 'ID non-tender / Non-tender id';
COMMENT ON COLUMN core.kontrak.versi_addendum IS 'Versi addendum (0 bila kosong) / Addendum version (0 when empty)';
COMMENT ON COLUMN core.kontrak.no_kontrak IS 'Nomor kontrak / Contract number';
COMMENT ON COLUMN core.kontrak.tgl_kontrak IS 'Tanggal kontrak / Contract date';
COMMENT ON COLUMN core.kontrak.tgl_kontrak_awal IS 'Tanggal mulai kontrak / Contract start date';
COMMENT ON COLUMN core.kontrak.tgl_kontrak_akhir IS 'Tanggal akhir kontrak / Contract end date';
COMMENT ON COLUMN core.kontrak.jenis_kontrak IS 'Jenis kontrak (Lumsum, Harga Satuan, …) / Contract type';
COMMENT ON COLUMN core.kontrak.status_kontrak IS 'Status kontrak / Contract status';
COMMENT ON COLUMN core.pembayaran.no_bap IS 'Nomor BAP ("" bila kosong) / Payment minutes number ("" when empty)';
COMMENT ON COLUMN core.pembayaran.tgl_bap IS 'Tanggal BAP / Payment minutes date';
COMMENT ON COLUMN core.pembayaran.no_bast IS 'Nomor BAST / Handover minutes number';
COMMENT ON COLUMN core.pembayaran.tgl_bast IS 'Tanggal BAST / Handover minutes date';
COMMENT ON COLUMN core.pembayaran.besar_pembayaran IS 'Besar pembayaran (Rupiah) / Amount paid (Rupiah)';
COMMENT ON COLUMN core.pembayaran.progres_pekerjaan IS 'Progres pekerjaan (%) / Work progress (%)';
COMMENT ON COLUMN core.pembayaran.cara_pembayaran_kontrak IS 'Cara pembayaran (Sekaligus, Bulanan, Termin) / Payment mode';
COMMENT ON COLUMN core.pencatatan.total_realisasi IS 'Total realisasi (Rupiah) / Total realised (Rupiah)';
COMMENT ON COLUMN core.pencatatan.kategori_pengadaan IS 'Kategori pengadaan / Procurement category';
COMMENT ON COLUMN core.pencatatan.status IS 'Status pencatatan (Aktif, Ditutup) / Record status';
COMMENT ON COLUMN core.pencatatan.status_ket IS 'Keterangan status (Paket Selesai, …) / Status remark';
COMMENT ON COLUMN core.pencatatan.alasan_pembatalan IS 'Alasan pembatalan / Cancellation reason';
COMMENT ON COLUMN core.pencatatan.tgl_mulai_paket IS 'Tanggal mulai paket / Package start';
COMMENT ON COLUMN core.pencatatan.tgl_selesai_paket IS 'Tanggal selesai paket / Package end';
COMMENT ON COLUMN core.pencatatan_realisasi.no_realisasi IS 'Nomor bukti realisasi ("" bila kosong) / Realisation document number ("" when empty)';
COMMENT ON COLUMN core.pencatatan_realisasi.tgl_realisasi IS 'Tanggal realisasi / Realisation date';
COMMENT ON COLUMN core.pencatatan_realisasi.nilai_realisasi IS 'Nilai realisasi (Rupiah) / Realised amount (Rupiah)';
COMMENT ON COLUMN core.pencatatan_realisasi.jenis_realisasi IS 'Jenis bukti (Kwitansi, …) / Evidence kind';
COMMENT ON COLUMN core.epurchasing_order.nilai IS
  'Nilai pesanan: v5 = Σ total_harga + Σ ongkos_kirim baris; v6 = total_harga / Order value: v5 = Σ line total_harga + Σ ongkos_kirim; v6 = total_harga';
COMMENT ON COLUMN core.epurchasing_order.total_harga IS 'Total harga barang (v5 Σ baris; v6 total_harga) / Goods total (v5 Σ lines; v6 total_harga)';
COMMENT ON COLUMN core.epurchasing_order.ongkos_kirim IS 'Ongkos kirim (v5 Σ baris; v6 ongkir) / Shipping (v5 Σ lines; v6 ongkir)';
COMMENT ON COLUMN core.epurchasing_order.n_lines IS 'Jumlah baris produk (v5) atau jml_jenis_produk (v6) / Product lines (v5) or jml_jenis_produk (v6)';
COMMENT ON COLUMN core.epurchasing_order.jml_produk IS 'Jumlah unit produk / Product quantity';
COMMENT ON COLUMN core.epurchasing_order.status_pkt IS 'Status paket: v6 status_pkt; v5 paket_status_str / Package status: v6 status_pkt; v5 paket_status_str';
COMMENT ON COLUMN core.epurchasing_order.status_pengiriman IS 'Status pengiriman (hanya v6) / Shipping status (v6 only)';
COMMENT ON COLUMN core.epurchasing_order.status_paket IS 'Kode alur kerja v5 (status_paket) / v5 workflow code (status_paket)';
COMMENT ON COLUMN core.epurchasing_order.tgl_order IS 'Tanggal pesanan (v5 tanggal_buat_paket) / Order date (v5 tanggal_buat_paket)';
COMMENT ON COLUMN core.epurchasing_order.tgl_edit IS 'Tanggal ubah paket (v5) / Package edit date (v5)';
COMMENT ON COLUMN core.epurchasing_line.kd_produk IS 'ID produk / Product id';
COMMENT ON COLUMN core.epurchasing_line.kuantitas IS 'Kuantitas / Quantity';
COMMENT ON COLUMN core.epurchasing_line.harga_satuan IS 'Harga satuan / Unit price';
COMMENT ON COLUMN core.toko_daring.order_id IS 'ID pesanan toko daring (kunci) / Online-shop order id (key)';
COMMENT ON COLUMN core.toko_daring.valuasi IS 'Nilai transaksi (Rupiah) / Transaction value (Rupiah)';
COMMENT ON COLUMN core.toko_daring.kategori IS 'Kategori / Category';
COMMENT ON COLUMN core.toko_daring.tanggal_transaksi IS 'Waktu transaksi / Transaction time';
COMMENT ON COLUMN core.toko_daring.status_verif IS 'Status verifikasi (verified) / Verification status';
COMMENT ON COLUMN core.toko_daring.status_konfirmasi_ppmse IS 'Konfirmasi PPMSE (selesai, gagal) / Marketplace confirmation';
