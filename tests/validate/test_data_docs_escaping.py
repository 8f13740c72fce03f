"""Issue 19 point 12: a hostile sample value never becomes live markup in the published Data Docs.

A real GX validation (the suite of rup_paket_penyedia on a frame whose unknown procurement method is
an ``<img onerror>`` payload) is published with `build_data_docs`, and every written HTML page is
parsed: no element carrying an event-handler attribute, no ``<img>``/``<script>`` from the data.
"""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from pantau import config
from pantau.sources.normalize import normalize_records
from pantau.validate import build_data_docs
from pantau.validate.engine import validate_dataframe
from vhelpers import rup_penyedia

PAYLOADS = ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>", "\"><svg onload=alert(3)>"]


class _Elements(HTMLParser):
    """Start tags with their attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []   # text of <script> elements
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


@pytest.fixture
def docs_dirs(tmp_path, monkeypatch) -> Path:
    """A private GX context and site: other tests (and helpers) build Data Docs concurrently."""
    monkeypatch.setattr(config, "LOCAL_DIR", tmp_path / "local")
    monkeypatch.setattr(config, "OUTPUT_DIR", tmp_path / "output")
    return tmp_path / "output" / "data_docs"


def test_data_docs_escape_every_sample(docs_dirs: Path) -> None:
    records = [rup_penyedia(i) for i in range(len(PAYLOADS) + 2)]
    df = normalize_records("rup_paket_penyedia", records, source_system="isb")
    for i, payload in enumerate(PAYLOADS):
        df.loc[i, "metode_pengadaan"] = payload  # as a value that reached staging would be
    outcome = validate_dataframe("rup_paket_penyedia", df)
    check = next(r for r in outcome.results if r.rule == "code_list:metode_pengadaan")
    assert sorted(check.sample) == sorted(PAYLOADS)  # the samples GX got hold the raw payloads
    index = build_data_docs([outcome])
    pages = sorted(docs_dirs.rglob("*.html"))
    assert index in pages and any("validations" in p.parts for p in pages)
    seen_payload = False
    for page in pages:
        text = page.read_text(encoding="utf-8")
        parser = _Elements()
        parser.feed(text)
        for tag, attrs in parser.elements:
            # GX's own pages use onclick handlers; none may come from the data (our payloads alert)
            live = {a: v for a, v in attrs.items() if a.lower().startswith("on") and "alert(" in (v or "")}
            assert not live, (page.name, tag, attrs)
            assert not (tag == "img" and attrs.get("src") == "x"), (page.name, attrs)
            assert tag != "svg", page.name
        assert not [js for js in parser.scripts if "alert(2)" in js], page.name
        seen_payload = seen_payload or "onerror=alert(1)" in text
    assert seen_payload  # the sample is shown, as text
    assert outcome.results[0] is not None and check.sample[0] in PAYLOADS  # caller's result unchanged
