"""Hostile package/PD names render as text and fetch nothing; assets only; memory cap."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from pantau.report.fetcher import ASSETS_DIR, AssetFetcher, AssetRefused
from pantau.report.render import RenderError, RenderPool, report_id_for
from pantau.report.sample import sample_circular

REPO = Path(__file__).resolve().parents[2]


def _hostile_model(http_base: str, canary: Path):
    names = {
        0: '<img src="file:///etc/passwd">',
        1: f'<img src="{http_base}/img.png"> Paket <b>tebal</b>',
        2: f'<link rel="stylesheet" href="{http_base}/x.css"><style>@import url({http_base}/imp.css);</style>',
        3: f'<iframe src="file://{canary}"></iframe><object data="{http_base}/obj">',
        4: f'<svg><image href="{http_base}/svg.png"/></svg> {{{{ 7*7 }}}} ${{tahun}}',
    }
    m = sample_circular(n_pd=2, n_packages=6, names=names, seed=5)
    pd0 = replace(m.lagging[0], nama_satker=f'<a href="{http_base}/pd">Dinas</a> <img src=x onerror=alert(1)>')
    return replace(m, lagging=(pd0,) + m.lagging[1:])


def test_hostile_names_render_as_text_and_fetch_nothing(render_pool, cfg, http_recorder, pdftext, tmp_path):
    base, hits = http_recorder
    canary = tmp_path / "canary.png"
    canary.write_bytes(b"\x89PNG not really")
    model = _hostile_model(base, canary)
    out = render_pool.render(model, cfg, report_id_for(model, cfg))
    flat = re.sub(r"\s+", " ", pdftext(out.pdf))
    assert '<img src="file:///etc/passwd">' in flat
    assert f'<img src="{base}/img.png"> Paket <b>tebal</b>' in flat
    assert "{{ 7*7 }} ${tahun}" in flat                 # no template evaluation of data
    assert "<img src=x onerror=alert(1)>" in flat
    assert hits == []                                   # the local server saw no request
    assert out.refused_urls == ()                       # nothing even tried to load


def test_no_file_outside_assets_is_opened(cfg, http_recorder, tmp_path):
    """Render in a fresh interpreter with an audit hook on `open`: hostile names must not make
    WeasyPrint open anything but the templates, bundled assets and system libraries/fonts."""
    base, hits = http_recorder
    canary = tmp_path / "canary.png"
    canary.write_bytes(b"x")
    script = f"""
import json, sys
sys.path.insert(0, {str(REPO / 'plugins')!r}); sys.path.insert(0, {str(REPO / 'tests' / 'report')!r})
from test_circular_safety import _hostile_model
from pantau.report.pemda import load_pemda_config
from pantau.report.render import render_pdf_here, report_id_for
from pathlib import Path
model = _hostile_model({base!r}, Path({str(canary)!r}))
cfg = load_pemda_config("D197")
import weasyprint
opened = []
sys.addaudithook(lambda ev, args: opened.append(str(args[0])) if ev == "open" and isinstance(args[0], (str, bytes)) else None)
out = render_pdf_here(model, cfg, report_id_for(model, cfg))
print(json.dumps({{"opened": opened, "refused": list(out.refused_urls), "pages": out.pages}}))
"""
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads(res.stdout.strip().splitlines()[-1])
    assert data["pages"] >= 3 and data["refused"] == [] and hits == []
    suspicious = [p for p in data["opened"] if "passwd" in p or "canary" in p]
    assert suspicious == []


def test_fetcher_serves_assets_only(tmp_path):
    f = AssetFetcher()
    font = (ASSETS_DIR / "fonts" / "LiberationSans-Regular.ttf").resolve()
    assert f.fetch(font.as_uri()).read(4) == font.read_bytes()[:4]
    outside = tmp_path / "x.svg"
    outside.write_text("<svg/>")
    link = ASSETS_DIR / "fonts" / "__test_link.svg"
    try:
        os.symlink(outside, link)
        bad = ["file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.org/a.ttf",
               "data:image/svg+xml,<svg/>", (ASSETS_DIR / ".." / "circular" / "style.css.j2").resolve().as_uri(),
               ASSETS_DIR.as_uri() + "/../../config/pemda/default.yaml", outside.as_uri(), link.as_uri(),
               "ftp://localhost/x.ttf", font.as_uri() + "?x=1"]
        for url in bad:
            with pytest.raises((AssetRefused, ValueError)):
                f.fetch(url)
    finally:
        link.unlink(missing_ok=True)
    assert len(f.refused) >= 8


def test_memory_limit_fails_the_render_not_the_host(cfg):
    """A 64 MiB address-space cap cannot hold WeasyPrint + a document: the worker's job fails with a
    RenderError in the parent (which keeps running), instead of the host swapping or OOM-killing."""
    model = sample_circular(n_pd=4, n_packages=40)
    with RenderPool(1, mem_limit_mb=64, timeout_s=30) as pool:
        with pytest.raises(RenderError):
            pool.render(model, cfg, report_id_for(model, cfg))
