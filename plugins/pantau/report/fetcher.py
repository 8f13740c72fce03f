"""A WeasyPrint URL fetcher that serves only the project's own template assets.

Package and PD names come from outside (LKPP feeds). Autoescaping keeps them text, and this
fetcher is the second wall: whatever URL reaches WeasyPrint, only files under
`include/templates/assets/` with a known asset type are read; `http://`, `file:///etc/passwd`,
`data:` and path tricks (`..`, symlinks out of the folder) are refused without any I/O.
WeasyPrint ≥ 70 requires subclassing `URLFetcher` (CVE-2026-55073 closed the bypasses).
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from pantau.config import TEMPLATES_DIR

ASSETS_DIR = TEMPLATES_DIR / "assets"
MIME = {
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".css": "text/css",
}


class AssetRefused(ValueError):
    """A URL outside the allowed assets; WeasyPrint logs it and renders on without the resource."""


def base_url() -> str:
    """Base URL for documents: relative `assets/…` links resolve under the templates folder."""
    return TEMPLATES_DIR.resolve().as_uri() + "/"


class AssetFetcher(URLFetcher):
    """Serve `file:` URLs inside `ASSETS_DIR` with an allowed suffix; refuse everything else.

    `refused` keeps every refused URL so tests (and logs) can see what hostile input attempted.
    """

    def __init__(self, assets_dir: Path = ASSETS_DIR) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self._root = Path(os.path.realpath(assets_dir))
        self.refused: list[str] = []
        self.served: list[str] = []

    def _local_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost") or parts.query:
            raise AssetRefused(f"only packaged assets may be loaded, not {url[:200]!r}")
        path = Path(os.path.realpath(unquote(parts.path)))
        if self._root not in path.parents or path.suffix.lower() not in MIME or not path.is_file():
            raise AssetRefused(f"not a packaged asset: {url[:200]!r}")
        return path

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:  # noqa: D401 - WeasyPrint API
        try:
            path = self._local_path(url)
        except AssetRefused:
            self.refused.append(url)
            raise
        self.served.append(path.name)
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": MIME[path.suffix.lower()]})
