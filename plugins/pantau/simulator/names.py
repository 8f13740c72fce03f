"""Name lists for the deterministic generator.

Kept apart from the generator so the realistic-looking vocabulary (Perangkat Daerah, places,
package titles, people) can be extended without touching the generation logic. Everything here is
plain data; nothing is random at import time.
"""
from __future__ import annotations

# (kd_satker_str, nama_satker, relative size, BLUD?) — the SKPD of a province, SIPD-style codes.
PD_PROVINSI: list[tuple[str, str, float, bool]] = [
    ("1.01.0.00.0.00.01.0000", "DINAS PENDIDIKAN DAN KEBUDAYAAN", 5.0, False),
    ("1.02.0.00.0.00.02.0000", "DINAS KESEHATAN", 3.5, False),
    ("1.02.0.00.0.00.02.0001", "RSUD DR. SOEDARSO", 3.0, True),
    ("1.02.0.00.0.00.02.0002", "RUMAH SAKIT JIWA DAERAH SUNGAI BANGKONG", 1.2, True),
    ("1.02.0.00.0.00.02.0003", "RUMAH SAKIT KHUSUS DAERAH PROVINSI KALIMANTAN BARAT", 0.8, True),
    ("1.03.0.00.0.00.03.0000", "DINAS PEKERJAAN UMUM DAN PENATAAN RUANG", 4.0, False),
    ("1.04.0.00.0.00.04.0000", "DINAS PERUMAHAN RAKYAT DAN KAWASAN PERMUKIMAN", 2.0, False),
    ("1.05.0.00.0.00.05.0000", "SATUAN POLISI PAMONG PRAJA", 1.0, False),
    ("1.05.0.00.0.00.06.0000", "BADAN PENANGGULANGAN BENCANA DAERAH", 1.2, False),
    ("1.06.0.00.0.00.07.0000", "DINAS SOSIAL", 1.0, False),
    ("2.07.3.32.0.00.08.0000", "DINAS TENAGA KERJA DAN TRANSMIGRASI", 1.0, False),
    ("2.08.2.14.0.00.09.0000", "DINAS PEMBERDAYAAN PEREMPUAN, PERLINDUNGAN ANAK DAN KELUARGA BERENCANA", 0.8, False),
    ("2.09.3.27.0.00.10.0000", "DINAS KETAHANAN PANGAN DAN HORTIKULTURA", 1.0, False),
    ("2.11.0.00.0.00.11.0000", "DINAS LINGKUNGAN HIDUP DAN KEHUTANAN", 1.5, False),
    ("2.12.2.13.0.00.12.0000", "DINAS PEMBERDAYAAN MASYARAKAT DAN DESA, KEPENDUDUKAN DAN PENCATATAN SIPIL", 0.8, False),
    ("2.15.0.00.0.00.13.0000", "DINAS PERHUBUNGAN", 1.5, False),
    ("2.16.2.20.2.21.14.0000", "DINAS KOMUNIKASI DAN INFORMATIKA", 1.2, False),
    ("2.17.0.00.0.00.15.0000", "DINAS KOPERASI DAN USAHA KECIL DAN MENENGAH", 0.8, False),
    ("2.18.0.00.0.00.16.0000", "DINAS PENANAMAN MODAL DAN PELAYANAN TERPADU SATU PINTU", 0.8, False),
    ("2.19.0.00.0.00.17.0000", "DINAS KEPEMUDAAN DAN OLAHRAGA", 1.2, False),
    ("2.23.2.24.0.00.18.0000", "DINAS PERPUSTAKAAN DAN KEARSIPAN", 0.7, False),
    ("3.25.0.00.0.00.19.0000", "DINAS KELAUTAN DAN PERIKANAN", 1.2, False),
    ("3.26.0.00.0.00.20.0000", "DINAS PARIWISATA DAN EKONOMI KREATIF", 0.9, False),
    ("3.27.0.00.0.00.21.0000", "DINAS PERTANIAN, PETERNAKAN DAN PERKEBUNAN", 1.5, False),
    ("3.29.0.00.0.00.22.0000", "DINAS ENERGI DAN SUMBER DAYA MINERAL", 0.9, False),
    ("3.30.3.31.0.00.23.0000", "DINAS PERINDUSTRIAN DAN PERDAGANGAN", 0.9, False),
    ("4.01.0.00.0.00.24.0000", "SEKRETARIAT DAERAH", 2.5, False),
    ("4.01.0.00.0.00.24.0001", "BIRO UMUM", 1.5, False),
    ("4.01.0.00.0.00.24.0002", "BIRO PENGADAAN BARANG DAN JASA", 0.6, False),
    ("4.01.0.00.0.00.24.0003", "BIRO PEMERINTAHAN DAN OTONOMI DAERAH", 0.5, False),
    ("4.02.0.00.0.00.25.0000", "SEKRETARIAT DPRD", 2.0, False),
    ("5.01.5.05.0.00.26.0000", "BADAN PERENCANAAN PEMBANGUNAN DAERAH", 1.0, False),
    ("5.02.0.00.0.00.27.0000", "BADAN PENGELOLA KEUANGAN DAN ASET DAERAH", 1.5, False),
    ("5.02.0.00.0.00.28.0000", "BADAN PENDAPATAN DAERAH", 1.5, False),
    ("5.03.5.04.0.00.29.0000", "BADAN KEPEGAWAIAN DAERAH", 0.8, False),
    ("5.04.0.00.0.00.30.0000", "BADAN PENGEMBANGAN SUMBER DAYA MANUSIA", 0.9, False),
    ("5.05.0.00.0.00.31.0000", "BADAN PENGHUBUNG DAERAH", 0.4, False),
    ("6.01.0.00.0.00.32.0000", "INSPEKTORAT", 0.8, False),
    ("8.01.0.00.0.00.33.0000", "BADAN KESATUAN BANGSA DAN POLITIK", 0.6, False),
    ("1.01.0.00.0.00.01.0001", "CABANG DINAS PENDIDIKAN WILAYAH SAMBAS", 0.6, False),
    ("1.01.0.00.0.00.01.0002", "CABANG DINAS PENDIDIKAN WILAYAH KETAPANG", 0.6, False),
    ("1.03.0.00.0.00.03.0001", "UPT BALAI PENGUJIAN DAN PERALATAN", 0.5, False),
    ("2.15.0.00.0.00.13.0001", "UPT PENGELOLAAN PRASARANA PERHUBUNGAN DARAT", 0.5, False),
    ("5.02.0.00.0.00.28.0001", "UPT PENDAPATAN DAERAH WILAYAH PONTIANAK", 0.4, False),
]

# Sub-units that exist in SIRUP but have no budget structure of their own (all-null StrukturAnggaranPD).
SUBUNIT_NO_BUDGET = {
    "CABANG DINAS PENDIDIKAN WILAYAH SAMBAS",
    "CABANG DINAS PENDIDIKAN WILAYAH KETAPANG",
    "UPT BALAI PENGUJIAN DAN PERALATAN",
    "UPT PENGELOLAAN PRASARANA PERHUBUNGAN DARAT",
    "UPT PENDAPATAN DAERAH WILAYAH PONTIANAK",
    "BIRO PEMERINTAHAN DAN OTONOMI DAERAH",
}

PLACES_KALBAR = [
    "Pontianak", "Singkawang", "Sambas", "Bengkayang", "Landak", "Mempawah", "Sanggau", "Ketapang",
    "Sintang", "Kapuas Hulu", "Sekadau", "Melawi", "Kayong Utara", "Kubu Raya", "Sungai Pinyuh",
    "Anjongan", "Ngabang", "Nanga Pinoh", "Putussibau", "Sungai Raya", "Rasau Jaya", "Tebas",
    "Entikong", "Sukadana", "Teluk Melano", "Tayan", "Balai Karangan", "Jawai", "Paloh", "Sosok",
]

KABUPATEN_NAMES = [
    "Sambas", "Bengkayang", "Landak", "Mempawah", "Sanggau", "Ketapang", "Sintang", "Kapuas Hulu",
    "Sekadau", "Melawi", "Kayong Utara", "Kubu Raya", "Bandung", "Bogor", "Garut", "Cianjur", "Kuningan",
    "Majalengka", "Sumedang", "Indramayu", "Subang", "Purwakarta", "Karawang", "Bekasi", "Tasikmalaya",
    "Ciamis", "Pangandaran", "Banyumas", "Cilacap", "Purbalingga", "Banjarnegara", "Kebumen", "Wonosobo",
    "Magelang", "Boyolali", "Klaten", "Sukoharjo", "Wonogiri", "Karanganyar", "Sragen", "Grobogan",
    "Blora", "Rembang", "Pati", "Kudus", "Jepara", "Demak", "Semarang", "Temanggung", "Kendal", "Batang",
    "Pekalongan", "Pemalang", "Tegal", "Brebes", "Lumajang", "Jember", "Banyuwangi", "Bondowoso",
    "Situbondo", "Probolinggo", "Pasuruan", "Sidoarjo", "Mojokerto", "Jombang", "Nganjuk", "Madiun",
    "Magetan", "Ngawi", "Bojonegoro", "Tuban", "Lamongan", "Gresik", "Bangkalan", "Sampang", "Pamekasan",
    "Sumenep", "Pesawaran", "Lampung Selatan", "Tanggamus", "Kapuas", "Barito Selatan", "Kotawaringin Barat",
    "Gorontalo", "Bone", "Gowa", "Maros", "Pinrang", "Minahasa", "Badung", "Gianyar", "Tabanan", "Buleleng",
]
KOTA_NAMES = [
    "Pontianak", "Singkawang", "Bandung", "Bogor", "Bekasi", "Depok", "Tangerang", "Tangerang Selatan",
    "Semarang", "Surakarta", "Surabaya", "Malang", "Metro", "Palangka Raya", "Makassar", "Manado", "Denpasar",
    "Banjarmasin", "Samarinda", "Balikpapan", "Padang", "Medan", "Pekanbaru", "Jambi", "Palembang",
]
PROVINSI_NAMES = [
    "Kalimantan Tengah", "Kalimantan Timur", "Kalimantan Selatan", "Jawa Barat", "Jawa Tengah", "Jawa Timur",
    "Banten", "Lampung", "Sulawesi Selatan", "Sulawesi Utara", "Bali", "Sumatera Barat", "Riau", "Jambi",
]

FIRST_NAMES = [
    "Agus", "Budi", "Dedi", "Eko", "Hendra", "Iwan", "Joko", "Rudi", "Slamet", "Yusuf", "Ahmad", "Rahmat",
    "Siti", "Sri", "Dewi", "Nur", "Rina", "Yanti", "Fitri", "Lestari", "Wahyu", "Heri", "Bambang", "Syarif",
    "Abdul", "Muhammad", "Ratna", "Indah", "Andi", "Fajar", "Gusti", "Uray", "Dayang", "Hairul", "Antonius",
    "Yohanes", "Maria", "Stefanus", "Paulus", "Lukas",
]
LAST_NAMES = [
    "Santoso", "Wijaya", "Hidayat", "Saputra", "Pratama", "Kurniawan", "Setiawan", "Nugroho", "Rahman",
    "Hasan", "Syahputra", "Lubis", "Siregar", "Harahap", "Wibowo", "Susanto", "Firmansyah", "Gunawan",
    "Alkadrie", "Mahmud", "Sulaiman", "Effendi", "Riyadi", "Suhendra", "Ramadhan", "Anwar", "Purnomo",
]
TITLES = [", S.T.", ", S.E., M.M.", ", S.Kom.", ", S.H.", ", S.Sos., M.Si.", ", S.Pd.", ", A.Md.", "",
          ", S.T., M.T.", ", Dr., M.Kes.", ", S.Ak."]

COMPANY_WORDS = [
    "Karya", "Mandiri", "Jaya", "Abadi", "Sejahtera", "Khatulistiwa", "Borneo", "Kapuas", "Bumi", "Cahaya",
    "Prima", "Sentosa", "Utama", "Makmur", "Persada", "Nusantara", "Berkah", "Equator", "Lestari", "Sinar",
]
BENTUK_USAHA = [
    ("CV.", "Persekutuan Komanditer (CV / Commanditer Venoschaap )"),
    ("PT.", "Perseroan Terbatas (PT)"),
    ("", "Orang Perseorangan"),
    ("PT.", "Perseroan Terbatas (PT) Perorangan"),
]
BANKS = ["Bank Kalbar", "BRI", "BNI", "Bank Mandiri", "BSI", "Bank Kalbar Syariah"]

# Package title templates per RUP jenis (kd_jenis_pengadaan) — {p} is a place, {u} a unit name.
TITLES_BARANG = [
    "Belanja Alat/Bahan untuk Kegiatan Kantor-Alat Tulis Kantor",
    "Belanja Alat/Bahan untuk Kegiatan Kantor-Bahan Komputer",
    "Belanja Modal Peralatan Personal Computer",
    "Belanja Modal Peralatan Komputer Lainnya",
    "Belanja Obat-Obatan",
    "Belanja Bahan Habis Pakai Laboratorium",
    "Belanja Modal Alat Kedokteran Umum",
    "Belanja Modal Mebel",
    "Belanja Bahan Bakar Minyak/Gas dan Pelumas",
    "Belanja Pakaian Dinas Harian",
    "Belanja Modal Kendaraan Dinas Bermotor Roda Dua",
    "Belanja Bahan-Bahan/Bibit Tanaman",
    "Belanja Makanan dan Minuman Rapat",
]
TITLES_KONSTRUKSI = [
    "Pembangunan Gedung {u}",
    "Rehabilitasi Gedung {u}",
    "Peningkatan Jalan Ruas {p} - {q}",
    "Pemeliharaan Berkala Jalan Ruas {p} - {q}",
    "Pembangunan Jembatan {p}",
    "Rehabilitasi Jaringan Irigasi {p}",
    "Pembangunan Sarana Air Bersih {p}",
    "Rehabilitasi Ruang Kelas SMA Negeri {n} {p}",
]
TITLES_KONSULTANSI = [
    "Pengawasan Pembangunan Gedung {u}",
    "Perencanaan Teknis Peningkatan Jalan Ruas {p} - {q}",
    "Penyusunan DED Jembatan {p}",
    "Penyusunan Kajian Lingkungan Hidup Strategis {p}",
    "Jasa Konsultansi Pengawasan Rehabilitasi Jaringan Irigasi {p}",
]
TITLES_JASA = [
    "Belanja Jasa Kebersihan Kantor",
    "Belanja Jasa Tenaga Keamanan",
    "Belanja Sewa Kendaraan Operasional",
    "Belanja Jasa Pemeliharaan Aplikasi",
    "Belanja Jasa Cetak dan Penggandaan",
    "Belanja Langganan Internet",
    "Belanja Jasa Penyelenggaraan Acara",
]
TITLES_SWAKELOLA = [
    "Belanja Perjalanan Dinas Biasa",
    "Belanja Perjalanan Dinas Dalam Kota",
    "Honorarium Narasumber atau Pembahas, Moderator, Pembawa Acara",
    "Belanja Makanan dan Minuman Rapat",
    "Belanja Kursus Singkat/Pelatihan",
    "Belanja Jasa Tenaga Ahli",
    "Belanja Honorarium Tim Pelaksana Kegiatan",
]

PENCATATAN_ALASAN = ["double input", "double input", "double input", "mengedit pagu",
                     "salah tidak memasukan realisasi", "-"]
KET_DITUTUP = [
    "Tidak ada penyedia yang lulus evaluasi",
    "Kesalahan pemilihan nama penyedia pada sistem",
    "Penawaran melebihi HPS",
    "Sesuai dengan surat Permohonan Pembatalan Tender",
]
