"""Identifier patterns and path containment, shared by every entry point (issue 19 point 11).

Why one module: `kd_klpd` ends up in file names (`pemda/<kd_klpd>.yaml`,
`circulars/<kd_klpd>/<tahun>/<report_id>.pdf`). A value such as `../../../../tmp/x/evil` used to
read a foreign YAML file as the Pemda config and write the PDF outside `output/`. Each entry point
(DAG task, CLI, `build_circular`, `load_pemda_config`, `deliver`, `verify`) checks its identifiers
against the one definition here, and every path built from them is resolved and must stay under
its root, so a value that slipped past one check still cannot leave the directory.
"""
from __future__ import annotations

import re
from pathlib import Path

# sources.md §0.4: D### Pemda, K## kementerian, L## lembaga, B### BUMD. Letters and digits only,
# so a code can never name a path outside its directory.
KD_KLPD_PATTERN = re.compile(r"^[A-Z]?\d{1,5}$")
# `SE-<klpd>-<tahun>-<12 hex>` (pantau.report.render.report_id_for).
REPORT_ID_PATTERN = re.compile(r"^SE-[A-Za-z0-9]{1,16}-\d{4}-[0-9a-f]{12}$")
REPORT_ID_IN_BYTES = re.compile(rb"SE-[A-Za-z0-9]{1,16}-\d{4}-[0-9a-f]{12}")
TAHUN_MIN, TAHUN_MAX = 2000, 2100


class InvalidIdentifier(ValueError):
    """An identifier does not match its code pattern (names the field and the value)."""

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field} {value!r} tidak valid: harus {expected} / "
                         f"invalid {field} {value!r}: expected {expected}")


class UnsafePath(ValueError):
    """A path built from data resolves outside its root directory (path traversal)."""

    def __init__(self, what: str, path: object, root: Path | str) -> None:
        self.path = path
        self.root = root
        super().__init__(f"{what} {str(path)!r} berada di luar {root} / {what} {str(path)!r} resolves "
                         f"outside {root}; refused")


def check_kd_klpd(value: object, *, field: str = "kd_klpd") -> str:
    """`value` unchanged when it is a KLPD code like `D197`; else `InvalidIdentifier`.

    Case and whitespace are not repaired here: a file name is looked up exactly, so `d197` would
    silently fall back to the default config (`pantau.instansi.validate_kd_klpd` normalises user
    input before it is stored)."""
    if not isinstance(value, str) or not KD_KLPD_PATTERN.fullmatch(value):
        raise InvalidIdentifier(field, value, "kode seperti D197 (huruf lalu 1-5 angka) / a code like D197")
    return value


def check_tahun(value: object, *, field: str = "tahun") -> int:
    """A fiscal year as int (`"2023"` accepted), within 2000–2100; else `InvalidIdentifier`."""
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not text.isdigit() or not TAHUN_MIN <= int(text) <= TAHUN_MAX:
        raise InvalidIdentifier(field, value, f"tahun {TAHUN_MIN}-{TAHUN_MAX} / a year {TAHUN_MIN}-{TAHUN_MAX}")
    return int(text)


def check_report_id(value: object, *, field: str = "report_id") -> str:
    """`value` unchanged when it looks like `SE-D197-2023-0123456789ab`; else `InvalidIdentifier`."""
    if not isinstance(value, str) or not REPORT_ID_PATTERN.fullmatch(value):
        raise InvalidIdentifier(field, value, "ID seperti SE-D197-2023-0123456789ab / an id like SE-D197-2023-…")
    return value


def resolve_under(root: Path | str, *parts: str | Path, what: str = "path") -> Path:
    """`root/parts…` resolved (symlinks and `..` followed); `UnsafePath` unless it stays under
    `root` (also resolved). An absolute part would replace the root, so it is caught as well."""
    base = Path(root).resolve()
    target = base.joinpath(*parts).resolve()
    if target == base or not target.is_relative_to(base):
        raise UnsafePath(what, Path(*parts) if parts else target, base)
    return target


def check_relative_path(value: str, *, what: str = "path", root: str = "OUTPUT_DIR") -> str:
    """A stored relative path (`circulars/D197/2023/x.pdf`): no absolute path, no `..` segment,
    no backslash. Checked on the text itself, before any file system lookup."""
    parts = value.replace("\\", "/").split("/")
    if not value or value.startswith("/") or "\\" in value or ".." in parts or "" in parts:
        raise UnsafePath(what, value, root)
    return value
