"""`build_circular`: mart → model → PDF (child process) → `output/circulars/` → `audit.report`."""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping

from pantau import config as pconfig
from pantau import db, ids
from pantau.report.model import Circular, canonical_json
from pantau.report.pemda import check_inputs_complete, check_official, load_pemda_config
from pantau.report.registry import ReportRow, register, sha256_bytes
from pantau.report.render import RenderPool, render_pdf, report_id_for, template_version


@dataclass(frozen=True)
class CircularResult:
    path: Path
    sha256: str
    report_id: str
    pages: int
    is_draft: bool = True
    n_review: int = 0
    metric_run_id: int | None = None


def circulars_dir() -> Path:
    """`OUTPUT_DIR/circulars`, read at call time so tests' PANTAU_OUTPUT_DIR applies."""
    base = Path(os.environ.get("PANTAU_OUTPUT_DIR") or pconfig.OUTPUT_DIR)
    return base / "circulars"


def _current_umask() -> int:
    """The process umask (read once: `os.umask` can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _write_atomic(path: Path, data: bytes) -> None:
    """Publish `data` at `path` so a reader sees the old file or the new one, never a mix.

    Each writer gets its own temporary file in the target directory (same file system, so
    `os.replace` is an atomic rename): one fixed `.pdf.tmp` name let concurrent publishes of the
    same circular write into each other's file and rename it away (issue 19 point 10). The data is
    fsynced before the rename and the directory after it, so a crash leaves no torn PDF either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), 0o666 & ~_UMASK)   # mkstemp creates 0600; keep the usual mode
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (best effort: some file systems refuse fsync on a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def choose_nomor(cfg: Mapping[str, Any], nomor: str | None) -> str | None:
    """Run parameter first, then the config's fixed nomor; neither → draft."""
    nomor = (nomor or (cfg.get("nomor") or {}).get("tetap") or "").strip()
    return nomor or None


def _relative(path: Path) -> str:
    """Path stored in the registry, relative to OUTPUT_DIR (checked: no `..`, not absolute)."""
    return ids.check_relative_path(str(path.relative_to(circulars_dir().parent.resolve())),
                                   what="registered report path")


def circular_path(kd_klpd: str, tahun: int, report_id: str) -> Path:
    """`circulars/<kd_klpd>/<tahun>/<report_id>.pdf`, each part checked against its pattern and
    the result resolved under `circulars/` (`InvalidIdentifier` / `UnsafePath`): the parts come
    from data, and a `kd_klpd` like `../../x` once wrote the PDF outside the output directory."""
    ids.check_kd_klpd(kd_klpd)
    year = ids.check_tahun(tahun)
    ids.check_report_id(report_id)
    return ids.resolve_under(circulars_dir(), kd_klpd, str(year), f"{report_id}.pdf", what="circular PDF")


def publish(model: Circular, cfg: Mapping[str, Any], *, url: str | None = None,
            pool: RenderPool | None = None) -> CircularResult:
    """Render a model, write the PDF and register it. Same model + config → same bytes and id.

    A numbered circular is refused, before anything is rendered, while the Pemda config still
    lists placeholder values or while a metric input of the run is not currently loaded (a draft
    renders and says which data is missing)."""
    ids.check_kd_klpd(model.kd_klpd)
    ids.check_tahun(model.tahun)
    check_official(cfg, model.kd_klpd, model.nomor)
    check_inputs_complete(cfg, model.kd_klpd, model.nomor, model.inputs, model.metric_run_id)
    report_id = report_id_for(model, cfg)
    rendered = pool.render(model, cfg, report_id) if pool else render_pdf(model, cfg, report_id)
    digest = sha256_bytes(rendered.pdf)
    path = circular_path(model.kd_klpd, model.tahun, report_id)
    _write_atomic(path, rendered.pdf)
    row = ReportRow(report_id, _relative(path), digest, len(rendered.pdf), rendered.pages, model.kd_klpd,
                    model.tahun, model.as_of, model.tanggal, model.nomor, model.metric_run_id, model.fetch_ids)
    cfg_public = {k: v for k, v in cfg.items() if not k.startswith("_")}
    with db.transaction(url) as conn:
        register(conn, row, model_sha256=model.fingerprint(),
                 config_sha256=hashlib.sha256(canonical_json(cfg_public).encode()).hexdigest(),
                 template_sha256=template_version(), n_lagging_pd=len(model.lagging),
                 n_packages=sum(len(p.packages) for p in model.lagging), n_review=rendered.n_review,
                 period=f"{model.tahun} s.d. {model.as_of.isoformat()}")
    return CircularResult(path, digest, report_id, rendered.pages, model.is_draft, rendered.n_review,
                          model.metric_run_id)


def build_circular(kd_klpd: str, tahun: int, as_of: date, *, metric_run_id: int | None = None,
                   nomor: str | None = None, url: str | None = None, tanggal: date | None = None) -> CircularResult:
    """Build, store and register the circular of one KLPD from the mart (architecture.md contract).

    `tanggal` (printed issue date) defaults to `as_of` so a re-run reproduces the same bytes.
    `kd_klpd` and `tahun` are checked first (`pantau.ids`): they name the config file and the PDF.
    """
    from pantau.report.mart_reader import read_circular_model

    kd_klpd = ids.check_kd_klpd(kd_klpd)
    tahun = ids.check_tahun(tahun)
    cfg = load_pemda_config(kd_klpd)
    conn = db.connect(url)
    try:
        model = read_circular_model(conn, kd_klpd, tahun, metric_run_id, as_of=as_of,
                                    nomor=choose_nomor(cfg, nomor), tanggal=tanggal or as_of)
    finally:
        conn.close()
    return publish(model, cfg, url=url)
