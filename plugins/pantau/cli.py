"""`pantau` command line: the entry points behind the Makefile.

Messages meant for the Sekda office and data team are in Indonesian.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pantau.config import LOCAL_DIR, REPO_ROOT

AIRFLOW_PID = LOCAL_DIR / "airflow" / "standalone.pid"


def _warehouse() -> str:
    from pantau.config import warehouse_url
    from pantau.embedded_pg import EmbeddedPostgresError

    try:
        return warehouse_url()
    except EmbeddedPostgresError as exc:
        sys.exit(f"Gudang data tidak tersedia: {exc}")


def cmd_migrate(_: argparse.Namespace) -> int:
    from pantau.migrate import migrate

    applied = migrate(_warehouse())
    print(f"Migrasi selesai ({len(applied)} berkas baru).")
    return 0


def cmd_db_url(_: argparse.Namespace) -> int:
    print(_warehouse())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pantau.demo import run_demo

    return run_demo(scale=args.scale, seed=args.seed, tahun=args.tahun)


def cmd_airflow(_: argparse.Namespace) -> int:
    """`airflow standalone` on 127.0.0.1:8080 with this repo's DAGs and the warehouse connection."""
    from pantau.airflow_env import airflow_env
    from pantau.migrate import migrate

    url = _warehouse()
    migrate(url, log=lambda *_: None)
    env = {**os.environ, **airflow_env(url)}
    # Standalone starts its components by name, so the venv's bin must be on PATH (stack.md §2.4).
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    subprocess.run(["airflow", "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["airflow", "pools", "set", "lkpp_api", "4", "Batas laju API LKPP"], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    print("Airflow UI: http://127.0.0.1:8080 — masuk sebagai 'admin'; kata sandinya dibuat Airflow saat "
          "pertama kali jalan dan disimpan di .local/airflow/simple_auth_manager_passwords.json.generated "
          "(hentikan dengan Ctrl-C atau `make stop`)")
    proc = subprocess.Popen(["airflow", "standalone"], env=env, start_new_session=True)
    AIRFLOW_PID.write_text(str(proc.pid))
    try:
        return proc.wait()
    except KeyboardInterrupt:
        _stop_airflow()
        return 0


def _stop_airflow() -> bool:
    """Standalone ignores SIGTERM on its children; SIGINT to the whole group stops it (stack.md §2.4)."""
    if not AIRFLOW_PID.exists():
        return False
    pid = int(AIRFLOW_PID.read_text())
    AIRFLOW_PID.unlink()
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return False
    for sig, wait in ((signal.SIGINT, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.2)
    return True


def cmd_stop(_: argparse.Namespace) -> int:
    from pantau import embedded_pg

    if _stop_airflow():
        print("Airflow dihentikan.")
    if embedded_pg.stop():
        print("PostgreSQL tertanam (.local/pg) dihentikan.")
    return 0


def cmd_docs(_: argparse.Namespace) -> int:
    from pantau.docs_gen import generate
    from pantau.migrate import migrate

    url = _warehouse()
    migrate(url, log=lambda *_: None)
    path = generate(url, REPO_ROOT / "docs" / "warehouse.md")
    print(f"Kamus data ditulis ke {path}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from pantau.report.verify import main as verify_main

    return verify_main([args.file])


def cmd_instansi_list(_: argparse.Namespace) -> int:
    """Print the instansi in pantau.yaml and which Pemda file each circular will use."""
    from pantau import instansi

    rows = instansi.configured()
    if not rows:
        print(f"Belum ada instansi di {instansi.pantau_yaml_path()}.")
        return 0
    print(f"Instansi di {instansi.pantau_yaml_path()}:")
    for row in rows:
        own = instansi.pemda_dir() / f"{row['kd_klpd']}.yaml"
        pemda = own.name if own.exists() else "default.yaml (belum ada berkas sendiri)"
        lpse = row.get("kd_lpse", "-")
        print(f"  {row['kd_klpd']:<6} {row.get('nama_klpd', '')} ({row.get('jenis_klpd', '')}), LPSE {lpse}, "
              f"konfigurasi surat: {pemda}")
    return 0


def cmd_instansi_add(args: argparse.Namespace) -> int:
    """Add an instansi and its Pemda file; Indonesian messages say what to fill in next."""
    from pantau import instansi

    try:
        written = instansi.add(args.kd_klpd, args.nama, args.jenis, args.kd_lpse)
    except ValueError as exc:
        print(f"Instansi tidak ditambahkan: {exc}", file=sys.stderr)
        return 2
    code = instansi.validate_kd_klpd(args.kd_klpd)
    print(f"Instansi {code} ({args.nama}) ditambahkan. Berkas ditulis:")
    for path in written:
        print(f"  {path}")
    pemda = instansi.pemda_dir() / f"{code}.yaml"
    if pemda not in written:
        print(f"  ({pemda} sudah ada dan tidak diubah)")
    print("Langkah berikutnya: isi nilai resmi di berkas Pemda dan kosongkan `belum_final` sebelum "
          "menerbitkan Surat Edaran bernomor; daftarkan URL ISB instansi ini di Variable pantau_isb_urls "
          "(kunci: nama dataset ISB dan kd_klpd).")
    return 0


def _add_instansi_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    inst = sub.add_parser("instansi", help="daftar dan tambah instansi yang dipantau (pantau.yaml)",
                          description="Kelola instansi yang dipantau (include/config/pantau.yaml) "
                                      "dan berkas surat Pemda-nya (include/config/pemda/<kd_klpd>.yaml).")
    isub = inst.add_subparsers(dest="instansi_command", required=True)
    isub.add_parser("list", help="tampilkan instansi yang terdaftar").set_defaults(func=cmd_instansi_list)
    add = isub.add_parser(
        "add", help="tambah instansi dan buat berkas Pemda dari default.yaml",
        description="Menambah instansi ke pantau.yaml dan menulis include/config/pemda/<kd_klpd>.yaml dari "
                    "default.yaml. Nilai sementara dicantumkan di `belum_final`: Surat Edaran bernomor "
                    "ditolak sampai semuanya diisi.")
    add.add_argument("--kd-klpd", required=True, help="kode KLPD, mis. D107 (Kabupaten Bandung)")
    add.add_argument("--nama", required=True, help='nama instansi, mis. "Kabupaten Bandung"')
    add.add_argument("--jenis", required=True, type=str.upper, choices=["PROVINSI", "KABUPATEN", "KOTA"],
                     help="jenis pemerintah daerah: PROVINSI, KABUPATEN atau KOTA")
    add.add_argument("--kd-lpse", type=int, default=None,
                     help="kode LPSE yang memuat tender instansi ini (umpan SPSE di ISB), mis. 93")
    add.set_defaults(func=cmd_instansi_add)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pantau", description="Pantau PBJ")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="jalankan seluruh pipeline pada data provinsi sintetis")
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument("--seed", type=int, default=2025)
    demo.add_argument("--tahun", type=int, default=2025)
    demo.set_defaults(func=cmd_demo)
    sub.add_parser("migrate", help="terapkan migrasi skema gudang data").set_defaults(func=cmd_migrate)
    sub.add_parser("db-url", help="cetak URL gudang data").set_defaults(func=cmd_db_url)
    sub.add_parser("airflow", help="jalankan Airflow UI di 127.0.0.1:8080").set_defaults(func=cmd_airflow)
    sub.add_parser("stop", help="hentikan PostgreSQL tertanam dan Airflow").set_defaults(func=cmd_stop)
    sub.add_parser("docs", help="buat ulang docs/warehouse.md").set_defaults(func=cmd_docs)
    verify = sub.add_parser("verify", help="periksa keaslian berkas PDF surat edaran")
    verify.add_argument("file")
    verify.set_defaults(func=cmd_verify)
    _add_instansi_parser(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
