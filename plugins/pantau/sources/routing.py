"""Which source serves a partition, and where: `resolve(dataset, kd_klpd, tahun) -> SourcePlan`.

Rules live in `include/config/sources.yaml`; secrets come from Airflow (Connection
`pantau_inaproc`, Variable `pantau_isb_urls`) or, for runs outside Airflow, from env vars. Airflow
is imported lazily and only when the env vars are absent, so tests and `make demo` never need it.
ISB URLs are configuration, never derived: LKPP issues a key per subscriber and dataset (§1.1).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from pantau.config import load_yaml
from pantau.sources import errors as E
from pantau.sources.http import HttpSettings

SOURCES_YAML = "sources.yaml"


@dataclass(frozen=True)
class SourcePlan:
    """Everything extract needs for one partition. `url`/`token` are secret: not in repr."""

    dataset: str
    source_system: str  # 'isb' | 'inaproc_v1'
    tahun: int
    kd_klpd: str | None
    kd_lpse: int | None = None  # set when the request is filtered by LPSE (ISB SPSE feeds)
    url: str = field(default="", repr=False)  # ISB: the keyed URL; INAPROC: the base URL
    path: str | None = None  # INAPROC path, e.g. /v1/rup/master-satker
    token: str | None = field(default=None, repr=False)
    params: dict[str, Any] = field(default_factory=dict)  # request parameters, no secrets
    page_limit: int = 1000
    http: HttpSettings = field(default_factory=HttpSettings)

    @property
    def instansi(self) -> str:
        """How the partition's instansi is named in messages: `D197` or `D197/LPSE 97`."""
        if self.kd_lpse is not None:
            return f"{self.kd_klpd}/LPSE {self.kd_lpse}" if self.kd_klpd else f"LPSE {self.kd_lpse}"
        return str(self.kd_klpd)

    @property
    def redacted_url(self) -> str:
        full = self.url if self.source_system == "isb" else f"{self.url.rstrip('/')}{self.path or ''}"
        return E.redact(full)


def sources_config() -> dict[str, Any]:
    return load_yaml(SOURCES_YAML) or {}


def choose_source(dataset: str, tahun: int, config: Mapping[str, Any] | None = None) -> str:
    """The source system for (dataset, tahun): first matching `routing` rule."""
    cfg = config if config is not None else sources_config()
    for rule in cfg.get("routing", []):
        prefixes = tuple(rule.get("datasets") or ())
        if prefixes and not dataset.startswith(prefixes):
            continue
        if "tahun_min" in rule and tahun < int(rule["tahun_min"]):
            continue
        if "tahun_max" in rule and tahun > int(rule["tahun_max"]):
            continue
        return str(rule["source"])
    raise E.SourceConfigError(f"no routing rule for tahun {tahun}", dataset=dataset)


def lpse_for(kd_klpd: str, config: Mapping[str, Any] | None = None) -> int | None:
    """kd_lpse of a KLPD (sources.yaml `klpd_lpse`, else pantau.yaml `instansi`)."""
    cfg = config if config is not None else sources_config()
    mapping = cfg.get("klpd_lpse") or {}
    if kd_klpd in mapping:
        return int(mapping[kd_klpd])
    try:
        for inst in load_yaml("pantau.yaml").get("instansi", []):
            if inst.get("kd_klpd") == kd_klpd and inst.get("kd_lpse") is not None:
                return int(inst["kd_lpse"])
    except FileNotFoundError:
        pass
    return None


def klpd_for_lpse(kd_lpse: int, config: Mapping[str, Any] | None = None) -> str | None:
    cfg = config if config is not None else sources_config()
    for klpd, lpse in (cfg.get("klpd_lpse") or {}).items():
        if int(lpse) == int(kd_lpse):
            return str(klpd)
    return None


def _airflow_variable(key: str) -> str | None:
    """An Airflow Variable, or None when Airflow is absent or the variable is not defined."""
    try:
        from airflow.sdk import Variable
    except Exception:  # Airflow not installed / not importable here
        return None
    try:
        return Variable.get(key, default=None)
    except Exception:
        return None


def _airflow_connection(conn_id: str) -> Any | None:
    try:
        from airflow.sdk import Connection
    except Exception:
        return None
    try:
        return Connection.get(conn_id)
    except Exception:
        return None


def load_isb_registry(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`{dataset: {instansi: url | {tahun: url}}}` from the env-named file or the Airflow Variable."""
    cfg = (config if config is not None else sources_config()).get("isb", {})
    path = os.environ.get(cfg.get("urls_file_env", "PANTAU_ISB_URLS_FILE"))
    if path:
        text = Path(path).read_text(encoding="utf-8")
        if path.endswith((".yaml", ".yml")):
            import yaml

            return yaml.safe_load(text) or {}
        return json.loads(text)
    raw = _airflow_variable(cfg.get("urls_variable", "pantau_isb_urls"))
    return json.loads(raw) if raw else {}


def isb_url(dataset: str, instansi: str, tahun: int, registry: Mapping[str, Any]) -> str:
    """The configured ISB URL for (dataset, instansi, tahun); `SourceConfigError` if none fits."""
    entry = (registry.get(dataset) or {}).get(str(instansi))
    if isinstance(entry, Mapping):
        entry = entry.get(str(tahun)) or entry.get(tahun)  # type: ignore[call-overload]
    if not entry:
        raise E.SourceConfigError(
            f"no ISB URL configured for tahun {tahun} (set it in the Variable pantau_isb_urls "
            f"or the file named by PANTAU_ISB_URLS_FILE)", source_system="isb", dataset=dataset, instansi=str(instansi))
    url = str(entry)
    if "{tahun}" in url:
        return url.replace("{tahun}", str(tahun))
    param = url.rsplit("/parameter/", 1)[-1]
    if str(tahun) not in param.split(":"):
        raise E.SourceConfigError(
            f"configured ISB URL is for another year (parameter {param!r}, wanted {tahun})",
            source_system="isb", dataset=dataset, instansi=str(instansi))
    return url


def inaproc_credentials(config: Mapping[str, Any] | None = None) -> tuple[str, str]:
    """(base_url, token): env vars first (non-Airflow runs), else the Airflow Connection."""
    cfg = (config if config is not None else sources_config()).get("inaproc", {})
    url = os.environ.get(cfg.get("url_env", "PANTAU_INAPROC_URL"))
    token = os.environ.get(cfg.get("token_env", "PANTAU_INAPROC_TOKEN"))
    if not (url and token):
        conn = _airflow_connection(cfg.get("connection_id", "pantau_inaproc"))
        if conn is not None:
            host = conn.host or ""
            if host and not host.startswith(("http://", "https://")):
                port = f":{conn.port}" if conn.port else ""
                host = f"{conn.schema or 'https'}://{host}{port}/api"
            url, token = url or host or None, token or conn.password
    url = url or cfg.get("base_url")
    if not token:
        raise E.SourceConfigError(
            "no INAPROC token: set the Airflow Connection pantau_inaproc (password) or PANTAU_INAPROC_TOKEN",
            source_system="inaproc_v1")
    E.register_secret(token)
    return str(url), str(token)


def _spec(dataset: str) -> Any:
    from pantau.datasets import spec

    try:
        return spec(dataset)
    except KeyError as exc:
        raise E.SourceConfigError(str(exc), dataset=dataset) from None


def resolve(dataset: str, kd_klpd: str, tahun: int, *, config: Mapping[str, Any] | None = None,
            registry: Mapping[str, Any] | None = None) -> SourcePlan:
    """The plan for one partition: which system, which URL, which parameters, which client knobs."""
    cfg = config if config is not None else sources_config()
    spec = _spec(dataset)
    source = choose_source(dataset, tahun, cfg)
    http = HttpSettings.from_mapping(cfg.get("http"))
    if source == "inaproc_v1":
        base_url, token = inaproc_credentials(cfg)
        return SourcePlan(
            dataset=dataset, source_system=source, tahun=tahun, kd_klpd=kd_klpd, url=base_url,
            path=spec.inaproc_path, token=token, params={"kode_klpd": kd_klpd, "tahun": tahun},
            page_limit=int(cfg.get("inaproc", {}).get("page_limit", 1000)), http=http,
        )
    if source == "isb":
        kd_lpse = None
        instansi: str = kd_klpd
        if spec.filter_by == "lpse":
            kd_lpse = lpse_for(kd_klpd, cfg)
            if kd_lpse is None:
                raise E.SourceConfigError("no kd_lpse known for this KLPD (sources.yaml klpd_lpse)",
                                          source_system="isb", dataset=dataset, instansi=kd_klpd)
            instansi = str(kd_lpse)
        reg = registry if registry is not None else load_isb_registry(cfg)
        url = isb_url(dataset, instansi, tahun, reg)
        params = {"tahun": tahun, ("kd_lpse" if kd_lpse is not None else "kd_klpd"): kd_lpse or kd_klpd,
                  "isb_name": spec.isb_name}
        return SourcePlan(dataset=dataset, source_system=source, tahun=tahun, kd_klpd=kd_klpd, kd_lpse=kd_lpse,
                          url=url, params=params, http=http)
    raise E.SourceConfigError(f"unknown source {source!r} in sources.yaml", dataset=dataset)
