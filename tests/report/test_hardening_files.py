"""Issue 19 points 10 and 11: no torn circular files, no path traversal through identifiers.

Real file system, real concurrent writers and readers, real PostgreSQL registry and the real
render worker; the traversal values are the ones the probe used (`../../../../tmp/x/evil`),
pointed at the test's own tmp directory so a regression cannot litter the machine.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from datetime import date
from pathlib import Path

import psycopg2
import pytest

from pantau import config, ids, instansi
from pantau.report import build
from pantau.report.build import build_circular, circulars_dir, publish
from pantau.report.pemda import load_pemda_config
from pantau.report.registry import ReportRow, register
from pantau.report.sample import sample_circular
from pantau.report.verify import verify_bytes


# --- point 10: concurrent publishes of the same circular -----------------------------------------
def test_concurrent_writes_of_one_path_never_fail_or_tear(tmp_path):
    """Four writers publish different complete files to one path while two readers read it for
    ~1.5 s. Every write succeeds, every read is one whole file, no temporary file is left over.
    (The fixed `.pdf.tmp` name failed 3–6 % of writes and let 449 of 8,650 reads see a torn file.)"""
    target = tmp_path / "circulars" / "D197" / "2023" / "SE-D197-2023-0123456789ab.pdf"
    payloads = [bytes([65 + i]) * (1_500_000 + 100_003 * i) for i in range(4)]
    digests = {hashlib.sha256(p).hexdigest() for p in payloads}
    build._write_atomic(target, payloads[0])
    stop = time.monotonic() + 1.5
    errors: list[BaseException] = []
    reads = {"whole": 0, "torn": 0}

    def write(i: int) -> None:
        while time.monotonic() < stop:
            try:
                build._write_atomic(target, payloads[i])
            except BaseException as exc:  # noqa: BLE001 - counted, asserted below
                errors.append(exc)

    def read() -> None:
        while time.monotonic() < stop:
            whole = hashlib.sha256(target.read_bytes()).hexdigest() in digests
            reads["whole" if whole else "torn"] += 1

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)] + \
              [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == [] and reads["torn"] == 0 and reads["whole"] > 20, (errors[:3], reads)
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]
    assert (target.stat().st_mode & 0o777) == 0o666 & ~build._UMASK   # not mkstemp's 0600


# --- point 11: identifiers name files, so they are checked and the paths contained ----------------
def _traversal(to: Path, start: Path) -> str:
    """`../../…/to` relative to `start`: the probe's `../../../../tmp/x/evil`, aimed at tmp_path."""
    return os.path.relpath(to, start)


def test_one_kd_klpd_pattern_for_every_entry_point():
    assert instansi.KD_KLPD_PATTERN is ids.KD_KLPD_PATTERN
    for good in ("D197", "B201", "K12", "12"):
        assert ids.check_kd_klpd(good) == good
    for bad in ("../../../../tmp/x/evil", "D197/../D1", "D197\n", "d197", "", "D1972023", None, 197):
        with pytest.raises(ids.InvalidIdentifier, match="kd_klpd"):
            ids.check_kd_klpd(bad)
    with pytest.raises(ids.InvalidIdentifier, match="tahun"):
        ids.check_tahun("2023/../..")
    with pytest.raises(ids.InvalidIdentifier, match="report_id"):
        ids.check_report_id("SE-D197-2023-0123456789ab/../../x")


def test_resolve_under_refuses_escapes_and_symlinks(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (root / "sub" / "link").symlink_to(tmp_path / "outside")
    assert ids.resolve_under(root, "sub", "a.pdf") == (root / "sub" / "a.pdf").resolve()
    for parts in (("..", "outside", "a.pdf"), ("sub", "link", "a.pdf"), (str(tmp_path / "outside"),), ()):
        with pytest.raises(ids.UnsafePath):
            ids.resolve_under(root, *parts)
    for stored in ("../x.pdf", "circulars/../../x.pdf", "/tmp/x.pdf", "circulars\\..\\x.pdf", "a//b.pdf"):
        with pytest.raises(ids.UnsafePath):
            ids.check_relative_path(stored)


@pytest.fixture
def evil_yaml(tmp_path) -> Path:
    """A complete, valid Pemda file outside include/config/pemda/ that must never be read."""
    target = tmp_path / "x" / "evil.yaml"
    target.parent.mkdir(parents=True)
    shutil.copy(config.CONFIG_DIR / "pemda" / "default.yaml", target)
    with target.open("a", encoding="utf-8") as fh:
        fh.write("\njudul: DIBACA DARI LUAR\n")
    return target


def test_load_pemda_config_refuses_traversal(evil_yaml):
    kd = _traversal(evil_yaml.with_suffix(""), config.CONFIG_DIR / "pemda")
    assert kd.startswith("../") and kd.endswith("x/evil")
    with pytest.raises(ids.InvalidIdentifier, match="kd_klpd"):
        load_pemda_config(kd)


def test_build_circular_refuses_traversal_before_reading_anything(warehouse_url, conn, evil_yaml):
    kd = _traversal(evil_yaml.with_suffix(""), config.CONFIG_DIR / "pemda")
    with pytest.raises(ids.InvalidIdentifier, match="kd_klpd"):
        build_circular(kd, 2023, date(2023, 11, 30), url=warehouse_url)
    with pytest.raises(ids.InvalidIdentifier, match="tahun"):
        build_circular("D197", "2023/../../x", date(2023, 11, 30), url=warehouse_url)   # type: ignore[arg-type]


def test_publish_with_traversal_kd_klpd_writes_nothing_outside_output(warehouse_url, conn, render_pool, cfg,
                                                                      tmp_path):
    outside = tmp_path / "x" / "evil"
    kd = _traversal(outside, circulars_dir())
    model = sample_circular(kd_klpd=kd, n_pd=2, n_packages=3, seed=3)
    before = sorted(p for p in circulars_dir().parent.rglob("*"))
    try:
        publish(model, cfg, url=warehouse_url, pool=render_pool)
        refused: Exception | None = None
    except Exception as exc:  # noqa: BLE001 - the effects are checked first, then the error
        refused = exc
    written_outside = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.pdf"))
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), array_agg(path) FILTER (WHERE path LIKE '%%..%%') FROM audit.report")
        rows, dotdot = cur.fetchone()
    assert written_outside == [] and (rows, dotdot) == (0, None)
    assert sorted(p for p in circulars_dir().parent.rglob("*")) == before
    assert isinstance(refused, ids.InvalidIdentifier) and "kd_klpd" in str(refused)


def _row(path: str, report_id: str = "SE-D197-2023-0123456789ab") -> ReportRow:
    return ReportRow(report_id, path, "0" * 64, 10, 1, "D197", 2023, date(2023, 11, 30), date(2023, 11, 30),
                     None, None, ())


def test_registry_refuses_a_path_with_dotdot(warehouse_url, conn):
    """Code (register) and schema (CHECK, migration 093) both refuse a stored path with `..`."""
    with pytest.raises(ids.UnsafePath):
        register(conn, _row("circulars/../../../tmp/x/evil/2023/SE-D197-2023-0123456789ab.pdf"),
                 model_sha256="m", config_sha256="c", template_sha256="t", n_lagging_pd=0, n_packages=0,
                 n_review=0, period=None)
    conn.rollback()
    for path in ("circulars/../../x.pdf", "/tmp/x.pdf", "..\\x.pdf"):
        with pytest.raises(psycopg2.errors.CheckViolation), conn.cursor() as cur:
            cur.execute("""INSERT INTO audit.report (report_id, path, sha256, n_bytes, pages, kd_klpd, tahun, as_of,
                                   tanggal, is_draft, model_sha256, config_sha256, template_sha256, n_lagging_pd,
                                   n_packages)
                           VALUES ('SE-D197-2023-0123456789ab', %s, repeat('0', 64), 1, 1, 'D197', 2023,
                                   '2023-11-30', '2023-11-30', true, 'm', 'c', 't', 0, 0)""", (path,))
        conn.rollback()


def test_verify_and_deliver_do_not_open_a_legacy_path_outside_output(warehouse_url, conn, render_pool, cfg,
                                                                     small_model, smtp_server, tmp_path):
    """A row registered before paths were checked points outside OUTPUT_DIR. `verify` still
    rejects the altered file but never reads the outside file; `deliver` refuses to attach it."""
    from pantau.report.delivery import deliver

    res = publish(small_model, cfg, url=warehouse_url, pool=render_pool)
    data = res.path.read_bytes()
    outside = tmp_path / "elsewhere" / "copy.pdf"
    outside.parent.mkdir()
    outside.write_bytes(data)
    with conn.cursor() as cur:   # the legacy row (the NOT VALID check exists for new writes only)
        cur.execute("ALTER TABLE audit.report DROP CONSTRAINT IF EXISTS report_path_inside_output")
        cur.execute("UPDATE audit.report SET path = %s WHERE report_id = %s",
                    (_traversal(outside, circulars_dir().parent), res.report_id))
    conn.commit()
    altered = data[:100] + bytes([data[100] ^ 1]) + data[101:]
    verdict = verify_bytes(altered, url=warehouse_url)
    assert not verdict.ok and verdict.report_id == res.report_id
    assert any("registered copy not read" in d and "outside" in d for d in verdict.details), verdict.details
    assert not any("first differing byte" in d for d in verdict.details)
    with pytest.raises(ids.UnsafePath, match="registered report path"):
        deliver(res.report_id, url=warehouse_url, recipients=["a@example.go.id"], attempts=1)
    assert smtp_server.messages == []
