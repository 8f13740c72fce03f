"""Onboarding an instansi without reading code (issue 14 point 12b/c): pantau.instansi and the CLI.

Every test works on a copy of include/config in a tmp dir (the repo's files are never written):
in-process through `pantau.config.CONFIG_DIR`, and through `PANTAU_HOME` for the CLI subprocess.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pantau import config, instansi
from pantau.report import pemda

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def config_dir(tmp_path, monkeypatch) -> Path:
    """A private copy of include/config, wired into every module that reads it."""
    target = tmp_path / "include" / "config"
    shutil.copytree(REPO / "include" / "config", target)
    monkeypatch.setattr(config, "CONFIG_DIR", target)
    monkeypatch.setattr(pemda, "CONFIG_DIR", target)  # pemda.py binds CONFIG_DIR at import
    config.load_yaml.cache_clear()
    yield target
    config.load_yaml.cache_clear()


def test_unknown_kd_klpd_is_an_error_naming_code_and_file(config_dir):
    assert [r["kd_klpd"] for r in instansi.configured()] == ["D197"]
    assert [r["kd_klpd"] for r in instansi.configured(["D197"])] == ["D197"]
    with pytest.raises(instansi.UnknownInstansi) as ei:
        instansi.configured(["D197", "D999", "B154"])
    assert isinstance(ei.value, ValueError) and ei.value.missing == ["D999", "B154"]
    msg = str(ei.value)
    assert "D999" in msg and "B154" in msg and str(config_dir / "pantau.yaml") in msg and "D197" not in msg


def test_add_writes_instansi_and_pemda_file_that_refuses_a_numbered_circular(config_dir):
    before = (config_dir / "pantau.yaml").read_text(encoding="utf-8")
    written = instansi.add("d107", "Kabupaten Bandung", "kabupaten", kd_lpse=93)
    assert written == [config_dir / "pantau.yaml", config_dir / "pemda" / "D107.yaml"]
    after = (config_dir / "pantau.yaml").read_text(encoding="utf-8")
    assert after.startswith(before)  # appended: comments and the existing entry kept verbatim
    assert instansi.configured(["D107"]) == [
        {"kd_klpd": "D107", "nama_klpd": "Kabupaten Bandung", "jenis_klpd": "KABUPATEN", "kd_lpse": 93}]
    assert config.load_yaml("pantau.yaml")["instansi"][-1]["kd_klpd"] == "D107"  # cache refreshed

    cfg = pemda.load_pemda_config("D107")
    assert cfg["_sumber"] == "D107.yaml" and pemda.nama_pemda(cfg) == "Kabupaten Bandung"
    pending = pemda.unconfirmed(cfg)
    assert {"pemda.kota", "pemda.alamat", "penandatangan.nama", "penandatangan.nip", "surel.penerima"} <= set(pending)
    assert "pemda.nama" not in pending  # filled from --nama
    pemda.check_official(cfg, "D107", None)  # a DRAF may render
    with pytest.raises(pemda.PemdaConfigError, match="penandatangan.nama"):
        pemda.check_official(cfg, "D107", "000.3.6/1/2025")
    own = yaml.safe_load((config_dir / "pemda" / "D107.yaml").read_text(encoding="utf-8"))
    own["belum_final"] = []  # once Bagian Umum has filled them, the numbered circular is allowed
    (config_dir / "pemda" / "D107.yaml").write_text(yaml.safe_dump(own), encoding="utf-8")
    pemda.check_official(pemda.load_pemda_config("D107"), "D107", "000.3.6/1/2025")


@pytest.mark.parametrize("code", ["../x", "D107/../../etc", "..", "D1 07", "", "pantau"])
def test_add_refuses_codes_that_are_not_kd_klpd(config_dir, code):
    before = sorted(p.name for p in (config_dir / "pemda").iterdir())
    with pytest.raises(instansi.InstansiError, match="tidak valid"):
        instansi.add(code, "Kabupaten X", "KABUPATEN")
    assert sorted(p.name for p in (config_dir / "pemda").iterdir()) == before
    assert [r["kd_klpd"] for r in instansi.configured()] == ["D197"]


def test_add_refuses_duplicates_and_bad_values(config_dir):
    with pytest.raises(instansi.InstansiError, match="sudah terdaftar"):
        instansi.add("D197", "Provinsi Kalimantan Barat", "PROVINSI", 97)
    with pytest.raises(instansi.InstansiError, match="jenis_klpd"):
        instansi.add("D108", "Kementerian X", "KEMENTERIAN")
    with pytest.raises(instansi.InstansiError, match="kd_lpse"):
        instansi.add("D108", "Kota X", "KOTA", kd_lpse=-3)
    assert not (config_dir / "pemda" / "D108.yaml").exists()


def test_add_rewrites_a_pantau_yaml_it_cannot_append_to(config_dir):
    (config_dir / "pantau.yaml").write_text(
        "# header kept\ninstansi:\n- kd_klpd: D197\n  nama_klpd: Provinsi Kalimantan Barat\n"
        "  jenis_klpd: PROVINSI\n  kd_lpse: 97\nlain: 1\n", encoding="utf-8")
    instansi.add("D264", "Kota Bandung", "KOTA")
    text = (config_dir / "pantau.yaml").read_text(encoding="utf-8")
    assert text.startswith("# header kept\n")
    assert yaml.safe_load(text)["lain"] == 1
    assert [r["kd_klpd"] for r in instansi.configured(["D197", "D264"])] == ["D197", "D264"]
    assert pemda.nama_pemda(pemda.load_pemda_config("D264")) == "Kota Bandung"


def test_cli_instansi_add_and_list(tmp_path):
    """`pantau instansi add|list` as a user runs it, against a PANTAU_HOME copy of the config."""
    shutil.copytree(REPO / "include" / "config", tmp_path / "include" / "config")
    env = {**os.environ, "PANTAU_HOME": str(tmp_path), "PYTHONPATH": str(REPO / "plugins")}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pantau.cli", "instansi", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    repo_yaml = (REPO / "include" / "config" / "pantau.yaml").read_text(encoding="utf-8")
    res = run("add", "--kd-klpd", "D107", "--nama", "Kabupaten Bandung", "--jenis", "KABUPATEN", "--kd-lpse", "93")
    assert res.returncode == 0, res.stderr
    assert "Instansi D107 (Kabupaten Bandung) ditambahkan" in res.stdout and "belum_final" in res.stdout
    assert (tmp_path / "include" / "config" / "pemda" / "D107.yaml").exists()
    assert (REPO / "include" / "config" / "pantau.yaml").read_text(encoding="utf-8") == repo_yaml
    listed = run("list")
    assert listed.returncode == 0 and "D107" in listed.stdout and "LPSE 93" in listed.stdout
    assert "D107.yaml" in listed.stdout
    again = run("add", "--kd-klpd", "D107", "--nama", "Kabupaten Bandung", "--jenis", "KABUPATEN")
    assert again.returncode == 2 and "Instansi tidak ditambahkan" in again.stderr and "sudah terdaftar" in again.stderr
    bad = run("add", "--kd-klpd", "../x", "--nama", "X", "--jenis", "KOTA")
    assert bad.returncode == 2 and "tidak valid" in bad.stderr
    assert "--kd-lpse" in run("add", "--help").stdout
