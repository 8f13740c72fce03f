"""`build_circular`: mart → model → PDF (child process) → `output/circulars/` → `audit.report`."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping

from pantau import config as pconfig
from pantau import db
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


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".pdf.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def choose_nomor(cfg: Mapping[str, Any], nomor: str | None) -> str | None:
    """Run parameter first, then the config's fixed nomor; neither → draft."""
    nomor = (nomor or (cfg.get("nomor") or {}).get("tetap") or "").strip()
    return nomor or None


def _relative(path: Path) -> str:
    return str(path.relative_to(circulars_dir().parent))


def publish(model: Circular, cfg: Mapping[str, Any], *, url: str | None = None,
            pool: RenderPool | None = None) -> CircularResult:
    """Render a model, write the PDF and register it. Same model + config → same bytes and id.

    A numbered circular is refused, before anything is rendered, while the Pemda config still
    lists placeholder values or while a metric input of the run is not currently loaded (a draft
    renders and says which data is missing)."""
    check_official(cfg, model.kd_klpd, model.nomor)
    check_inputs_complete(cfg, model.kd_klpd, model.nomor, model.inputs, model.metric_run_id)
    report_id = report_id_for(model, cfg)
    rendered = pool.render(model, cfg, report_id) if pool else render_pdf(model, cfg, report_id)
    digest = sha256_bytes(rendered.pdf)
    path = circulars_dir() / model.kd_klpd / str(model.tahun) / f"{report_id}.pdf"
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
    """
    from pantau.report.mart_reader import read_circular_model

    cfg = load_pemda_config(kd_klpd)
    conn = db.connect(url)
    try:
        model = read_circular_model(conn, kd_klpd, tahun, metric_run_id, as_of=as_of,
                                    nomor=choose_nomor(cfg, nomor), tanggal=tanggal or as_of)
    finally:
        conn.close()
    return publish(model, cfg, url=url)
