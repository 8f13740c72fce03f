"""Inline SVG charts as plain geometry; the Jinja template draws them (so labels stay escaped).

Charts are computed here rather than with a plotting library: no extra dependency, deterministic
output, and text set in the bundled font (WeasyPrint falls back to a serif face on SVG text
without an explicit family).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pantau.report.formats import persen

FONT = "Liberation Sans"


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    values: tuple[tuple[float, float, str], ...]   # (x, width, css class)
    value_text: str
    target_x: float | None


@dataclass(frozen=True)
class HBarChart:
    """Horizontal bars: one row per item, up to two series, an optional target tick per row."""

    title: str
    width: float
    height: float
    label_w: float
    plot_w: float
    row_h: float
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, str], ...]
    legend: tuple[tuple[str, str], ...]
    font: str = FONT


def _f(v: Decimal | float | None) -> float:
    return float(v) if v is not None else 0.0


def _clip(text: str, n: int = 48) -> str:
    """Shorten a label to `n` characters at a word boundary (a word cut mid-way reads as a typo)."""
    if len(text) <= n:
        return text
    cut = text[: n - 1]
    head = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return head.rstrip(" ,;/-") + "…"


def hbar_chart(title: str, rows: list[tuple[str, Decimal | None, Decimal | None, Decimal | None]],
               legend: tuple[tuple[str, str], ...], *, width: float = 960, row_h: float = 13,
               label_w: float = 330, max_value: float | None = None) -> HBarChart:
    """rows = (label, series A, series B or None, target or None), values in percent or score."""
    top = 18.0
    peak = max_value or max([100.0] + [max(_f(a), _f(b), _f(t)) for _, a, b, t in rows])
    plot_w = width - label_w - 70
    scale = plot_w / peak if peak else 0.0
    bars = []
    for i, (label, a, b, t) in enumerate(rows):
        y = top + i * row_h
        series = [(label_w, _f(a) * scale, "a")]
        if b is not None:
            series.append((label_w, _f(b) * scale, "b"))
        text = persen(a) if b is None else f"{persen(a)} / {persen(b)}"
        bars.append(Bar(_clip(label), y, tuple(series), text,
                        label_w + _f(t) * scale if t is not None else None))
    step = 25 if peak <= 100 else 50
    ticks = tuple((label_w + v * scale, f"{v:g}") for v in range(0, int(peak) + 1, step))
    height = top + len(rows) * row_h + 24
    return HBarChart(title, width, height, label_w, plot_w, row_h, tuple(bars), ticks, legend)
