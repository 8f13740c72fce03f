"""Effective metric configuration: include/config/metrics.yaml deep-merged with itkp/<year>.yaml.

Why two files: definitions (status mappings, method groups, lagging rules) rarely change, while
LKPP's weights, floors and over-100 % rule are per fiscal year. A year file may override any
definition through its ``overrides:`` block, so a year-specific LKPP rule needs no code change.
"""
from __future__ import annotations

import copy
import csv
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from pantau.config import CONFIG_DIR

METRICS_FILE = "metrics.yaml"
ITKP_DIR = "itkp"
SYSTEM_COMPONENTS = ("sirup", "e_tendering", "e_purchasing", "toko_daring", "non_e_tendering", "e_kontrak")
MANUAL_COMPONENTS = ("sdm_pbj", "kematangan_ukpbj")


class MetricsConfigError(ValueError):
    """The configuration is missing or inconsistent (message names the file and key)."""


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    if not path.exists():
        raise MetricsConfigError(f"configuration file not found: {path}")
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """New dict: ``override`` wins; nested dicts are merged, lists and scalars replaced."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read_manual_inputs(tahun: int, pattern: str) -> list[dict[str, Any]]:
    """Manual ITKP inputs (SDM PBJ, kematangan UKPBJ) for the year; lines starting with # are notes.

    They are part of the effective configuration, so a changed manual score changes the run's
    config_sha256 and therefore its metric_run_id.
    """
    path = CONFIG_DIR / pattern.format(tahun=tahun)
    if not path.exists():
        return []
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    for rec in csv.DictReader(lines):
        comp = (rec.get("component") or "").strip()
        if comp not in MANUAL_COMPONENTS:
            raise MetricsConfigError(f"{path}: unknown manual component {comp!r}")
        rows.append({
            "kd_klpd": rec["kd_klpd"].strip(),
            "component": comp,
            "numerator": float(rec["numerator"]),
            "denominator": float(rec["denominator"]),
            "keterangan": (rec.get("keterangan") or "").strip(),
        })
    return rows


def load_config(tahun: int) -> dict[str, Any]:
    """Effective configuration for ``tahun`` (metrics.yaml ⊕ itkp/<tahun>.yaml ⊕ overrides)."""
    base = _read_yaml(CONFIG_DIR / METRICS_FILE)
    year = _read_yaml(CONFIG_DIR / ITKP_DIR / f"{int(tahun)}.yaml")
    overrides = year.pop("overrides", None) or {}
    cfg = deep_merge(base, overrides)
    cfg["tahun"] = int(tahun)
    cfg["itkp_year"] = year
    pattern = cfg.get("itkp", {}).get("manual_csv", "itkp/manual/{tahun}.csv")
    cfg["manual_inputs"] = read_manual_inputs(int(tahun), pattern)
    validate_config(cfg)
    return cfg


def validate_config(cfg: dict[str, Any]) -> None:
    """Fail early with a readable message instead of a SQL error deep inside a run."""
    comps = cfg.get("itkp_year", {}).get("components")
    if not isinstance(comps, dict) or not comps:
        raise MetricsConfigError(f"itkp/{cfg.get('tahun')}.yaml: 'components' is missing")
    for name, rule in comps.items():
        if name not in SYSTEM_COMPONENTS + MANUAL_COMPONENTS:
            raise MetricsConfigError(f"itkp/{cfg['tahun']}.yaml: unknown component {name!r}")
        if rule.get("over_100", "cap") not in ("cap", "mirror"):
            raise MetricsConfigError(f"itkp/{cfg['tahun']}.yaml: {name}.over_100 must be cap or mirror")
        if rule.get("rule", "ratio") not in ("ratio", "binary", "manual"):
            raise MetricsConfigError(f"itkp/{cfg['tahun']}.yaml: {name}.rule must be ratio, binary or manual")
    for key in ("e_tendering", "non_e_tendering"):
        if cfg["itkp"][key].get("measure", "value") not in ("value", "count"):
            raise MetricsConfigError(f"metrics.yaml: itkp.{key}.measure must be value or count")
    if cfg["epurchasing_share"]["denominator"] not in ("rup_total", "rup_penyedia", "belanja_pengadaan"):
        raise MetricsConfigError("metrics.yaml: epurchasing_share.denominator is invalid")
    if len(cfg["penyerapan"]["target_curve"]) != 12:
        raise MetricsConfigError("metrics.yaml: penyerapan.target_curve needs 12 monthly values")


def _json_default(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def canonical_json(cfg: dict[str, Any]) -> str:
    """Stable JSON text (sorted keys, no spaces) — the input of config_sha256."""
    return json.dumps(cfg, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def config_sha256(cfg: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the effective configuration."""
    return hashlib.sha256(canonical_json(cfg).encode("utf-8")).hexdigest()


def resolve_deadline(value: Any, tahun: int) -> dt.date | None:
    """'MM-DD' → that day of the fiscal year; a full ISO date or date object as is; None stays None."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if len(text) == 5 and text[2] == "-":
        return dt.date(int(tahun), int(text[:2]), int(text[3:]))
    return dt.date.fromisoformat(text)
