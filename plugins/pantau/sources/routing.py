"""Which sources serve a partition, in which order, and where.

`candidate_sources(dataset, tahun)` gives the ordered source systems (primary, then fallbacks)
and `plan_for(source, dataset, kd_klpd, tahun)` the full plan for one of them; `resolve()` is the
first usable plan. Extract tries the candidates in order and moves on after a 404 ("endpoint not
available"), because INAPROC v1 does not serve every dataset ISB does (issue 14).

Rules live in `include/config/sources.yaml` (`routing:`); an operator overrides them per dataset
and year without touching the repo through the Airflow Variable `pantau_routing` or the env var
`PANTAU_ROUTING` (JSON, or the path of a JSON/YAML file). Secrets come from Airflow (Connection
`pantau_inaproc`, Variable `pantau_isb_urls`) or, for runs outside Airflow, from env vars.
Airflow is imported lazily, so nothing here needs it installed. ISB URLs are configuration,
never derived: LKPP issues a key per subscriber and dataset (sources.md §1.1).
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from pantau.config import load_yaml
from pantau.sources import errors as E
from pantau.sources.http import HttpSettings

log = logging.getLogger(__name__)
SOURCES_YAML = "sources.yaml"
KNOWN_SOURCES = ("inaproc_v1", "isb")
ROUTING_VARIABLE = "pantau_routing"
ROUTING_ENV = "PANTAU_ROUTING"
ANY_YEAR = ("*", "all", "semua")


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


# -- routing rules ------------------------------------------------------------------------------
def canonical_dataset(name: str) -> str | None:
    """Our dataset name for `name`, which may be ours or ISB's own (`RUP-MasterSatker`)."""
    from pantau.datasets import DATASETS

    if name in DATASETS:
        return name
    for spec in DATASETS.values():
        if spec.isb_name == name:
            return spec.name
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def rule_sources(rule: Mapping[str, Any], origin: str = SOURCES_YAML) -> list[str]:
    """The ordered sources of one rule: `sources: [a, b]`, or `source: a` + `fallback: [b]`."""
    sources = [str(s) for s in (_as_list(rule.get("sources")) or
                                _as_list(rule.get("source")) + _as_list(rule.get("fallback")))]
    unknown = [s for s in sources if s not in KNOWN_SOURCES]
    if not sources or unknown:
        raise E.SourceConfigError(
            f"routing rule {dict(rule)!r} in {origin} names {'no source' if not sources else f'unknown source(s) {unknown}'}; "
            f"known: {list(KNOWN_SOURCES)}")
    return list(dict.fromkeys(sources))


def _rule_matches(rule: Mapping[str, Any], dataset: str, tahun: int) -> bool:
    exact = [canonical_dataset(str(d)) or str(d) for d in _as_list(rule.get("dataset"))]
    if exact and dataset not in exact:
        return False
    prefixes = tuple(str(p) for p in _as_list(rule.get("datasets")))
    if prefixes and not dataset.startswith(prefixes):
        return False
    years = [str(y) for y in _as_list(rule.get("tahun"))]
    if years and not any(y in ANY_YEAR or y == str(tahun) for y in years):
        return False
    if "tahun_min" in rule and tahun < int(rule["tahun_min"]):
        return False
    if "tahun_max" in rule and tahun > int(rule["tahun_max"]):
        return False
    return True


def parse_overrides(doc: Any, origin: str) -> list[dict[str, Any]]:
    """Override rules from the Variable/env, in `routing:` rule form, validated.

    Two shapes are accepted, because an operator writes the short one by hand:
    * a mapping `{"<dataset or ISB name>": {"<tahun or *>": ["isb", ...]}}` (also `{"<ds>": ["isb"]}`
      for every year), and
    * a list of rules as in sources.yaml (`dataset`/`datasets`, `tahun`/`tahun_min`/`tahun_max`,
      `source` + `fallback` or `sources`).
    A dataset name that does not exist is an error: a typo must not silently route nothing.
    """
    if doc in (None, "", {}, []):
        return []
    if isinstance(doc, Mapping):
        rules: list[dict[str, Any]] = []
        for ds_name, per_year in doc.items():
            dataset = canonical_dataset(str(ds_name))
            if dataset is None:
                raise E.SourceConfigError(f"{origin} routes unknown dataset {ds_name!r}", dataset=str(ds_name))
            items = per_year.items() if isinstance(per_year, Mapping) else [("*", per_year)]
            for year, sources in items:
                rules.append({"dataset": dataset, "tahun": str(year), "sources": _as_list(sources)})
    elif isinstance(doc, list):
        rules = [dict(r) for r in doc if isinstance(r, Mapping)]
        if len(rules) != len(doc):
            raise E.SourceConfigError(f"{origin} must be a list of rules (mappings), got {doc!r}")
        for rule in rules:
            for ds_name in _as_list(rule.get("dataset")):
                if canonical_dataset(str(ds_name)) is None:
                    raise E.SourceConfigError(f"{origin} routes unknown dataset {ds_name!r}", dataset=str(ds_name))
    else:
        raise E.SourceConfigError(f"{origin} must be a JSON object or list, got {type(doc).__name__}")
    for rule in rules:
        rule["sources"] = rule_sources(rule, origin)
        rule["origin"] = origin
    return rules


def _load_json_or_file(text: str, origin: str) -> Any:
    """JSON text, or the path of a JSON/YAML file holding it (env vars carry either)."""
    stripped = text.strip()
    if stripped and stripped[0] not in "[{":
        path = Path(stripped)
        if not path.is_file():
            raise E.SourceConfigError(f"{origin} is neither JSON nor an existing file: {stripped!r}")
        text = path.read_text(encoding="utf-8")
        origin = f"{origin} (file {path})"
        if path.suffix in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text)
    return _parse_json(text, origin)


def routing_overrides(config: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Override rules, most authoritative first: Airflow Variable, then env var.

    The Variable wins because it is what an operator edits in the Airflow UI at run time (and
    issue 11: tasks read Airflow settings first, then env). Both are layered over sources.yaml.
    """
    cfg = (config if config is not None else sources_config()).get("routing_override", {}) or {}
    var_name = str(cfg.get("variable", ROUTING_VARIABLE))
    env_name = str(cfg.get("env", ROUTING_ENV))
    rules: list[dict[str, Any]] = []
    raw = _airflow_variable(var_name)
    if raw:
        rules += parse_overrides(_load_json_or_file(raw, f"Airflow Variable {var_name}"), f"Airflow Variable {var_name}")
    env = os.environ.get(env_name)
    if env:
        rules += parse_overrides(_load_json_or_file(env, f"env {env_name}"), f"env {env_name}")
    return rules


def candidate_sources(dataset: str, tahun: int, config: Mapping[str, Any] | None = None,
                      overrides: list[dict[str, Any]] | None = None) -> list[str]:
    """Ordered source systems for (dataset, tahun): the first matching rule, overrides first."""
    cfg = config if config is not None else sources_config()
    rules = (overrides if overrides is not None else routing_overrides(cfg)) + list(cfg.get("routing", []))
    for rule in rules:
        if _rule_matches(rule, dataset, tahun):
            sources = rule_sources(rule, str(rule.get("origin", SOURCES_YAML)))
            log.debug("routing %s %s → %s (%s)", dataset, tahun, sources, rule.get("origin", SOURCES_YAML))
            return sources
    raise E.SourceConfigError(f"no routing rule for tahun {tahun} (sources.yaml routing, Variable "
                              f"{ROUTING_VARIABLE}, env {ROUTING_ENV})", dataset=dataset)


def choose_source(dataset: str, tahun: int, config: Mapping[str, Any] | None = None) -> str:
    """The primary source system for (dataset, tahun)."""
    return candidate_sources(dataset, tahun, config)[0]


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


# -- Airflow settings ---------------------------------------------------------------------------
def _airflow_variable(key: str) -> str | None:
    """An Airflow Variable; None when Airflow is absent or the variable is not defined.

    Outside Airflow (nothing imported it, no `AIRFLOW_VAR_<KEY>`), there is nothing to ask.
    Any other failure (secrets backend down, API server unreachable) is logged with the
    variable's name and treated as absent: the caller falls back to env/sources.yaml, and the
    log says why a configured override was not applied (issue 17).
    """
    # Importing Airflow costs ~2 s: ask it only where it can know the answer — in a task (Airflow is
    # loaded), or when the variable is set in the environment the way Airflow reads it.
    if "airflow" not in sys.modules and not os.environ.get(f"AIRFLOW_VAR_{key.upper()}"):
        return None
    try:
        from airflow.sdk import Variable
    except ImportError:  # Airflow not installed here (plain `pantau` CLI use)
        return None
    try:
        value = Variable.get(key, default=None)
    except Exception as exc:  # noqa: BLE001 - anything but "not found" is reported, not swallowed
        log.warning("Airflow Variable %s could not be read (%s: %s); using env/sources.yaml instead",
                    key, type(exc).__name__, E.redact(exc))
        return None
    return None if value is None else str(value)


def _airflow_connection(conn_id: str) -> Any | None:
    """An Airflow Connection; None when Airflow is absent or the connection is not defined."""
    from pantau.config import airflow_connection

    try:
        return airflow_connection(conn_id)
    except Exception as exc:  # noqa: BLE001
        log.warning("Airflow Connection %s could not be read (%s: %s); using env instead",
                    conn_id, type(exc).__name__, E.redact(exc))
        return None


# -- ISB URL registry ---------------------------------------------------------------------------
def registry_origin(config: Mapping[str, Any] | None = None) -> str:
    """Where the ISB registry is read from, for messages (the file path or the Variable name)."""
    cfg = (config if config is not None else sources_config()).get("isb", {})
    env = cfg.get("urls_file_env", "PANTAU_ISB_URLS_FILE")
    path = os.environ.get(env)
    return f"file {path} ({env})" if path else f"Airflow Variable {cfg.get('urls_variable', 'pantau_isb_urls')}"


def load_isb_registry(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`{dataset: {instansi: url | {tahun: url}}}` from the env-named file or the Airflow Variable.

    Dataset keys may be ours (`rup_paket_penyedia`) or ISB's (`RUP-PaketPenyedia-Terumumkan`);
    instansi keys the kd_klpd, or for SPSE datasets the kd_lpse or the kd_klpd (see `isb_url`).
    """
    cfg = (config if config is not None else sources_config()).get("isb", {})
    env = cfg.get("urls_file_env", "PANTAU_ISB_URLS_FILE")
    path = os.environ.get(env)
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise E.SourceConfigError(f"ISB URL file {path} ({env}) cannot be read: {exc}", source_system="isb") from None
        if path.endswith((".yaml", ".yml")):
            import yaml

            doc = yaml.safe_load(text) or {}
        else:
            doc = _parse_json(text, f"ISB URL file {path} ({env})")
    else:
        name = cfg.get("urls_variable", "pantau_isb_urls")
        raw = _airflow_variable(name)
        doc = _parse_json(raw, f"Airflow Variable {name}") if raw else {}
    if not isinstance(doc, Mapping):
        raise E.SourceConfigError(f"ISB URL registry ({registry_origin(config)}) must be a JSON object "
                                  f"{{dataset: {{instansi: url}}}}, got {type(doc).__name__}", source_system="isb")
    return dict(doc)


def _parse_json(text: str, origin: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise E.SourceConfigError(f"{origin} is not valid JSON: {exc}") from None


_YEAR = re.compile(r"^(19|20)\d\d$")


def _registry_entries(dataset: str, registry: Mapping[str, Any]) -> dict[str, Any]:
    """The instansi → URL map of a dataset, under our name and/or ISB's (ours wins per key)."""
    from pantau.datasets import spec as get_spec

    isb_name = get_spec(dataset).isb_name
    merged: dict[str, Any] = {}
    for key in (isb_name, dataset):
        value = registry.get(key)
        if isinstance(value, Mapping):
            merged.update({str(k).strip(): v for k, v in value.items()})
    return merged


def isb_url(dataset: str, instansi: str | list[str], tahun: int, registry: Mapping[str, Any],
            *, origin: str | None = None, label: str | None = None) -> str:
    """The configured ISB URL for (dataset, instansi, tahun); `SourceConfigError` if none fits.

    `instansi` is the key, or the keys in the order to try (for SPSE: kd_lpse, then kd_klpd).
    The error names what is missing — the dataset (both names), each key tried, the year, and
    which years a URL exists for — so onboarding needs no code reading (issue 14 point 12).
    """
    from pantau.datasets import spec as get_spec

    keys = [str(k) for k in _as_list(instansi) if k not in (None, "")]
    isb_name = get_spec(dataset).isb_name
    names = f"{dataset} (ISB {isb_name})"
    where = origin or "the Variable pantau_isb_urls or the file named by PANTAU_ISB_URLS_FILE"
    entries = _registry_entries(dataset, registry)
    ctx = dict(source_system="isb", dataset=dataset, instansi=label or "/".join(keys) or "?")
    if not entries:
        raise E.SourceConfigError(
            f"no ISB URL configured for tahun {tahun}: {where} has no entry for dataset {names} "
            f"(keys tried: {keys})", **ctx)
    key = next((k for k in keys if k in entries), None)
    if key is None:
        raise E.SourceConfigError(
            f"no ISB URL configured for tahun {tahun}: {where} has dataset {names} but no instansi "
            f"key {' or '.join(keys)} (it has: {sorted(entries)})", **ctx)
    entry = entries[key]
    if isinstance(entry, Mapping):
        per_year = {str(k): v for k, v in entry.items()}
        if not per_year.get(str(tahun)):
            raise E.SourceConfigError(
                f"no ISB URL configured for tahun {tahun}: {where} has dataset {names} instansi {key} "
                f"only for tahun {sorted(per_year)}", **ctx)
        entry = per_year[str(tahun)]
    if not entry:
        raise E.SourceConfigError(f"no ISB URL configured for tahun {tahun}: empty URL for dataset {names} "
                                  f"instansi {key} in {where}", **ctx)
    url = str(entry)
    if "{tahun}" in url:
        return url.replace("{tahun}", str(tahun))
    values = url.rsplit("/parameter/", 1)[-1].split("?", 1)[0].split(":")
    if str(tahun) not in values:
        has = [v for v in values if _YEAR.match(v)]
        raise E.SourceConfigError(
            f"configured ISB URL for dataset {names} instansi {key} is for another year: it has tahun "
            f"{has[0] if has else '?'} (parameter {':'.join(values)!r}), wanted {tahun}", **ctx)
    return url


def _inaproc_base_url(conn: Any) -> str | None:
    """Base URL from a Connection in either form Airflow accepts.

    JSON form: `host` holds the whole URL. URI form (`https://data.inaproc.id/api`): Airflow splits
    it into conn_type `https`, host `data.inaproc.id` and schema `api` (the path), so the scheme
    comes from conn_type and the path from schema."""
    host = conn.host or ""
    if not host or host.startswith(("http://", "https://")):
        return host or None
    scheme = conn.conn_type if conn.conn_type in ("http", "https") else "https"
    port = f":{conn.port}" if conn.port else ""
    path = (conn.schema or "api").strip("/")
    return f"{scheme}://{host}{port}/{path}"


def inaproc_credentials(config: Mapping[str, Any] | None = None) -> tuple[str, str]:
    """(base_url, token): the Airflow Connection first (what an operator set in the UI or a
    secrets backend), then env vars (runs outside Airflow: demo, tests, bench)."""
    cfg = (config if config is not None else sources_config()).get("inaproc", {})
    conn_id = cfg.get("connection_id", "pantau_inaproc")
    url = token = None
    conn = _airflow_connection(conn_id)
    if conn is not None:
        url, token = _inaproc_base_url(conn), conn.password or None
    url = url or os.environ.get(cfg.get("url_env", "PANTAU_INAPROC_URL")) or cfg.get("base_url")
    token = token or os.environ.get(cfg.get("token_env", "PANTAU_INAPROC_TOKEN"))
    if not token:
        raise E.SourceConfigError(
            f"no INAPROC token: set the Airflow Connection {conn_id} (password) or PANTAU_INAPROC_TOKEN",
            source_system="inaproc_v1")
    E.register_secret(token)
    return str(url), str(token)


def _spec(dataset: str) -> Any:
    from pantau.datasets import spec

    try:
        return spec(dataset)
    except KeyError as exc:
        raise E.SourceConfigError(str(exc), dataset=dataset) from None


def _check_instansi_in_url(url: str, expected: str, dataset: str, instansi: str) -> None:
    """A keyed URL filed under the wrong instansi would load another Pemda's rows: refuse it."""
    if "/parameter/" not in url:
        return
    values = [v.casefold() for v in url.rsplit("/parameter/", 1)[-1].split("?", 1)[0].split(":")]
    if expected.casefold() not in values:
        raise E.SourceConfigError(
            f"configured ISB URL is for another instansi (parameter {':'.join(values)!r}, wanted {expected})",
            source_system="isb", dataset=dataset, instansi=instansi)


def _isb_plan(spec: Any, kd_klpd: str, tahun: int, cfg: Mapping[str, Any], registry: Mapping[str, Any] | None,
              http: HttpSettings) -> SourcePlan:
    """ISB plan: SPSE feeds are keyed by kd_lpse, but the registry may also use the kd_klpd."""
    kd_lpse = lpse_for(kd_klpd, cfg) if spec.filter_by == "lpse" else None
    keys = ([str(kd_lpse)] if kd_lpse is not None else []) + [kd_klpd]
    reg = registry if registry is not None else load_isb_registry(cfg)
    label = f"{kd_klpd}/LPSE {kd_lpse}" if kd_lpse is not None else kd_klpd
    url = isb_url(spec.name, keys, tahun, reg, origin=registry_origin(cfg) if registry is None else None,
                  label=label)
    if spec.filter_by == "lpse" and kd_lpse is None:
        log.warning("%s %s %s: no kd_lpse known (sources.yaml klpd_lpse / pantau.yaml kd_lpse); "
                    "using the URL configured under the kd_klpd", spec.name, kd_klpd, tahun)
    else:
        _check_instansi_in_url(url, str(kd_lpse) if kd_lpse is not None else kd_klpd, spec.name, label)
    params = {"tahun": tahun, ("kd_lpse" if kd_lpse is not None else "kd_klpd"): kd_lpse or kd_klpd,
              "isb_name": spec.isb_name}
    return SourcePlan(dataset=spec.name, source_system="isb", tahun=tahun, kd_klpd=kd_klpd, kd_lpse=kd_lpse,
                      url=url, params=params, http=http)


def plan_for(source: str, dataset: str, kd_klpd: str, tahun: int, *, config: Mapping[str, Any] | None = None,
             registry: Mapping[str, Any] | None = None) -> SourcePlan:
    """The plan for one partition on one source: URL, parameters, client knobs.

    Raises `SourceConfigError` when that source is not configured for the partition (no token,
    no ISB URL for the dataset/instansi/year); the message says what to configure.
    """
    cfg = config if config is not None else sources_config()
    spec = _spec(dataset)
    http = HttpSettings.from_mapping(cfg.get("http"))
    if source == "inaproc_v1":
        base_url, token = inaproc_credentials(cfg)
        return SourcePlan(
            dataset=dataset, source_system=source, tahun=tahun, kd_klpd=kd_klpd, url=base_url,
            path=spec.inaproc_path, token=token, params={"kode_klpd": kd_klpd, "tahun": tahun},
            page_limit=int(cfg.get("inaproc", {}).get("page_limit", 1000)), http=http,
        )
    if source == "isb":
        return _isb_plan(spec, kd_klpd, tahun, cfg, registry, http)
    raise E.SourceConfigError(f"unknown source {source!r} in routing", dataset=dataset)


def candidate_plans(dataset: str, kd_klpd: str, tahun: int, *, config: Mapping[str, Any] | None = None,
                    registry: Mapping[str, Any] | None = None) -> Iterator[SourcePlan | E.SourceConfigError]:
    """Each routed candidate in order: its plan, or the config error that makes it unusable.

    Lazy on purpose: a fallback's configuration (the ISB registry) is read only when the
    primary did not serve the partition. Errors are yielded, not raised, so the caller can try
    the next candidate and still name every unusable one in its final message.
    """
    cfg = config if config is not None else sources_config()
    for source in candidate_sources(dataset, tahun, cfg):
        try:
            yield plan_for(source, dataset, kd_klpd, tahun, config=cfg, registry=registry)
        except E.SourceConfigError as exc:
            exc.with_context(source_system=source)
            yield exc


def resolve(dataset: str, kd_klpd: str, tahun: int, *, config: Mapping[str, Any] | None = None,
            registry: Mapping[str, Any] | None = None) -> SourcePlan:
    """The first usable plan for one partition (the primary source unless it is not configured).

    Raises the first candidate's `SourceConfigError` when no candidate is configured.
    """
    errors: list[E.SourceConfigError] = []
    for item in candidate_plans(dataset, kd_klpd, tahun, config=config, registry=registry):
        if isinstance(item, SourcePlan):
            for err in errors:
                log.warning("%s %s %s: %s not usable, using %s: %s", dataset, kd_klpd, tahun, err.source_system,
                            item.source_system, err)
            return item
        errors.append(item)
    raise errors[0]
