"""Local stand-in for ISB LKPP and the INAPROC API Gateway, over real HTTP on 127.0.0.1.

Why a real server (stdlib `ThreadingHTTPServer` in a background thread) and not mocks: the
clients' streaming, timeouts, retries, Content-Length handling and connection reuse are exactly
what can break in production, and only real sockets exercise them. The server serves *any* row
provider — an object with `rows_for(dataset, kd_klpd=None, kd_lpse=None, tahun=None)` (the
generator's `Province`) or a plain `{dataset: rows}` mapping — so it does not depend on how rows
are made. Faults are injected through a control API (`/_control/faults`) so a test can script
"500 twice, then OK" against the very code paths production uses.

Endpoints that the real APIs do not serve (INAPROC v1 answered 404 for struktur anggaran PD,
non-tender e-kontrak and toko daring, issue 14) are declared with `unavailable=` or by the
provider itself: `provider.unavailable = {"inaproc_v1": [dataset, ...], "isb": [dataset, ...]}`
(dataset names, ISB names or INAPROC v1 paths; default empty). Those answer 404 every time, in the
real envelope shape (INAPROC) or as an nginx page (ISB).

Run standalone for `make demo`: `python -m pantau.simulator.server --port 8765`.
"""
from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import itertools
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Mapping, Protocol, Sequence
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "sim-token"
EMPTY_ISB = b"<invalid_response>Data Kosong, silakan ulangi</invalid_response>"
NGINX_PAGE = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1>"
    "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_YEAR_FIELDS = ("tahun_anggaran", "tahun")
_ERROR_CODES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
                503: "Service Unavailable", 504: "Gateway Timeout"}
FAULT_KINDS = frozenset({"status", "rate_limit", "timeout", "malformed_json", "html_error", "truncated",
                         "repeat_cursor", "empty_body", "invalid_response", "url_not_defined"})


class RowProvider(Protocol):
    """What the simulator serves. Optional: `inaproc_rows(...)` (native v1 shapes) and
    `unavailable: Mapping[str, Iterable[str]]` — `{"inaproc_v1": [...], "isb": [...]}` of datasets
    that answer 404 on that API (the generator's `Province` declares the real ones)."""

    def rows_for(self, dataset: str, kd_klpd: str | None = None, kd_lpse: int | None = None,
                 tahun: int | None = None) -> Sequence[dict]: ...


API_SYSTEMS = ("inaproc_v1", "isb")


class DictProvider:
    """`{dataset: rows}` as a provider: filters by `kd_klpd`/`kd_lpse`/year fields when a row has them.

    Rows may be any Sequence (a lazy one lets a bench serve millions of rows without holding them).
    Sequences are served unfiltered when no row-level filtering is possible (see `prefiltered`).
    """

    def __init__(self, data: Mapping[str, Sequence[dict]] | None = None, *, prefiltered: bool = False) -> None:
        self.data: dict[str, Sequence[dict]] = dict(data or {})
        self.prefiltered = prefiltered

    def rows_for(self, dataset: str, kd_klpd: str | None = None, kd_lpse: int | None = None,
                 tahun: int | None = None) -> Sequence[dict]:
        rows = self.data.get(dataset, ())
        if self.prefiltered:
            return rows
        return [r for r in rows if _matches(r, kd_klpd, kd_lpse, tahun)]


def _matches(row: Mapping[str, Any], kd_klpd: str | None, kd_lpse: int | None, tahun: int | None) -> bool:
    if kd_klpd is not None and "kd_klpd" in row and str(row["kd_klpd"]) != str(kd_klpd):
        return False
    if kd_lpse is not None and "kd_lpse" in row and str(row["kd_lpse"]) != str(kd_lpse):
        return False
    if tahun is not None:
        for f in _YEAR_FIELDS:
            if f in row and row[f] is not None:
                return str(row[f]) == str(tahun)
    return True


@dataclass(frozen=True)
class Route:
    """How one dataset is addressed on each served API."""

    dataset: str
    isb_name: str
    inaproc_path: str | None  # "/v1/rup/master-satker"
    filter_by: str  # "klpd" | "lpse" (ISB parameter family)
    isb_param_order: tuple[str, ...]  # e.g. ("tahun", "kd_klpd")
    service_id: int


def routes_from_datasets() -> dict[str, Route]:
    """Routes for every dataset in `pantau.datasets` (imported lazily)."""
    from pantau.datasets import DATASETS

    return {
        name: Route(name, s.isb_name, s.inaproc_path, s.filter_by, tuple(s.isb_param_order), 5300 + i)
        for i, (name, s) in enumerate(sorted(DATASETS.items()))
    }


def _as_provider(obj: Any) -> RowProvider:
    if hasattr(obj, "rows_for"):
        return obj
    if isinstance(obj, Mapping):
        return DictProvider(obj)
    raise TypeError("provider must have rows_for(...) or be a {dataset: rows} mapping")


class _State:
    """Everything the handler threads share; one lock guards the mutable parts."""

    def __init__(self, provider: Any, routes: Mapping[str, Route], token: str,
                 isb_keys: Mapping[Any, str] | None, inaproc_shape: Callable[[str, list], Sequence[dict]] | None):
        self.lock = threading.Lock()
        self.provider = _as_provider(provider)
        self.overrides: dict[str, Sequence[dict]] = {}
        self.routes = dict(routes)
        self.by_isb = {r.isb_name: r for r in self.routes.values()}
        self.by_path = {r.inaproc_path: r for r in self.routes.values() if r.inaproc_path}
        self.token = token
        self.isb_keys = dict(isb_keys or {})
        self.inaproc_shape = inaproc_shape
        self.unavailable: dict[str, set[str]] = {system: set() for system in API_SYSTEMS}
        self.faults: list[dict[str, Any]] = []
        self.requests: collections.deque[dict[str, Any]] = collections.deque(maxlen=10_000)  # bounded: demo runs long
        self.version = 0
        self.cache: dict[tuple, Sequence[dict]] = {}
        self.bodies: dict[tuple, bytes] = {}  # rendered bodies, so repeat fetches cost no JSON encoding
        self.bodies_bytes = 0
        self.body_cache_limit = 0
        self.req_counter = itertools.count(1)

    # -- rows -------------------------------------------------------------------------------
    def rows(self, shape: str, dataset: str, kd_klpd: str | None, kd_lpse: int | None, tahun: int | None):
        """Rows of one request, cached per (shape, filters) until the rows change."""
        with self.lock:
            key = (self.version, shape, dataset, kd_klpd, kd_lpse, tahun)
            if key in self.cache:
                return self.cache[key]
            override = self.overrides.get(dataset)
            provider = self.provider
        native_inaproc = shape == "inaproc_v1" and override is None and hasattr(provider, "inaproc_rows")
        try:
            if override is not None:
                rows = DictProvider({dataset: override}).rows_for(dataset, kd_klpd, kd_lpse, tahun)
            elif native_inaproc:  # e.g. Province.inaproc_rows: knows nested e-kontrak parents
                rows = provider.inaproc_rows(dataset, kd_klpd=kd_klpd, kd_lpse=kd_lpse, tahun=tahun)
            else:
                rows = provider.rows_for(dataset, kd_klpd=kd_klpd, kd_lpse=kd_lpse, tahun=tahun)
        except (KeyError, ValueError):  # provider does not have this dataset/filter: nothing to serve
            rows = []
        if shape == "inaproc_v1" and not native_inaproc and self.inaproc_shape is not None:
            rows = self.inaproc_shape(dataset, list(rows))
        with self.lock:
            if key[0] == self.version:
                self.cache[key] = rows
        return rows

    def body(self, key: tuple, render: Callable[[], bytes]) -> bytes:
        """A rendered response body, from the bounded cache when possible."""
        with self.lock:
            full_key = (self.version, *key)
            hit = self.bodies.get(full_key)
        if hit is not None:
            return hit
        body = render()
        with self.lock:
            if full_key[0] == self.version and self.bodies_bytes + len(body) <= self.body_cache_limit:
                self.bodies[full_key] = body
                self.bodies_bytes += len(body)
        return body

    def changed(self) -> None:
        with self.lock:
            self.version += 1
            self.cache.clear()
            self.bodies.clear()
            self.bodies_bytes = 0

    def isb_key(self, dataset: str, instansi: str) -> str:
        """The key the simulated ISB accepts for (dataset, instansi): configured or derived."""
        return (self.isb_keys.get((dataset, str(instansi))) or self.isb_keys.get(dataset)
                or str(uuid.uuid5(uuid.NAMESPACE_URL, f"pantau-sim/{dataset}/{instansi}")))

    # -- endpoints that do not exist --------------------------------------------------------
    def dataset_of(self, name: str) -> str | None:
        """Our dataset name for a dataset name, ISB name or INAPROC v1 path (with or without /api)."""
        if name in self.routes:
            return name
        route = self.by_isb.get(name) or self.by_path.get(name) or self.by_path.get(name.removeprefix("/api"))
        return route.dataset if route else None

    def set_unavailable(self, unavailable: Mapping[str, Iterable[str]] | None) -> None:
        """Declare datasets that answer 404 on an API; unknown names are an error, not a no-op."""
        parsed: dict[str, set[str]] = {system: set() for system in API_SYSTEMS}
        for system, names in (unavailable or {}).items():
            if system not in parsed:
                raise ValueError(f"unavailable: unknown API {system!r}; known: {list(API_SYSTEMS)}")
            for name in names:
                dataset = self.dataset_of(str(name))
                if dataset is None:
                    raise ValueError(f"unavailable[{system!r}]: unknown dataset/path {name!r}")
                parsed[system].add(dataset)
        with self.lock:
            self.unavailable = parsed

    def is_unavailable(self, system: str, dataset: str) -> bool:
        """Declared by `start_simulator(unavailable=...)` or by the provider's own `unavailable`."""
        with self.lock:
            if dataset in self.unavailable.get(system, ()):
                return True
            declared = getattr(self.provider, "unavailable", None) or {}
        return any(self.dataset_of(str(n)) == dataset for n in (declared.get(system) or ()))

    # -- faults -----------------------------------------------------------------------------
    def add_fault(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        kind = spec.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        fault = {"match": "", "times": 1, "skip": 0, **spec, "hits": 0}  # "times": null = forever
        with self.lock:
            self.faults.append(fault)
        return fault

    def take_fault(self, target: str) -> dict[str, Any] | None:
        """The first armed fault matching `target` (path + query); consumes one of its `times`."""
        with self.lock:
            for fault in self.faults:
                if fault["match"] not in target:
                    continue
                if fault["skip"] > 0:
                    fault["skip"] -= 1
                    continue
                if fault["times"] is not None and fault["times"] <= 0:
                    continue
                if fault["times"] is not None:
                    fault["times"] -= 1
                fault["hits"] += 1
                return dict(fault)
        return None


def encode_cursor(dataset: str, scope: str, offset: int) -> str:
    """Opaque cursor: base64 of the offset plus a check of what it belongs to."""
    check = hashlib.sha1(f"{dataset}|{scope}|{offset}".encode()).hexdigest()[:10]
    return base64.urlsafe_b64encode(f"{offset}:{check}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, dataset: str, scope: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        offset_s, check = raw.split(":", 1)
        offset = int(offset_s)
    except Exception:
        raise ValueError("cursor tidak valid / invalid cursor") from None
    if encode_cursor(dataset, scope, offset) != cursor:
        raise ValueError("cursor bukan untuk permintaan ini / cursor does not belong to this request")
    return offset


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, default=str, separators=(",", ":")).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive like the real gateways; every reply has a length
    server_version = "pantau-sim/0.1"
    state: _State  # set on the per-server subclass

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet; use logging instead of stderr
        log.debug("sim %s", fmt % args)

    # -- plumbing ---------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str = "application/json", headers: Mapping[str, str] | None = None,
              *, content_length: int | None = None, close: bool = False) -> None:
        self._status = status
        entry = getattr(self, "_entry", None)
        if entry is not None:  # before the bytes leave: a client may read the log right after
            entry["status"] = status
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body) if content_length is None else content_length))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _envelope_error(self, status: int, message: str, details: Any = None,
                        headers: Mapping[str, str] | None = None) -> None:
        body = {"success": False,
                "error": {"code": _ERROR_CODES.get(status, "Error"), "message": message, "details": details},
                "meta": {"request_id": self._request_id}}
        self._send(status, _dumps(body), headers={"X-Request-Id": self._request_id, **(headers or {})})

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    # -- dispatch ---------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        st = self.state
        self._status = 0
        self._request_id = f"sim-{next(st.req_counter):06d}"
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        entry: dict[str, Any] = {
            "method": method, "path": path, "query": {k: v[-1] for k, v in query.items()},
            "authorization_present": "Authorization" in self.headers,  # never the value
            "status": None, "request_id": self._request_id, "at": time.time(),
        }
        self._entry = entry if not path.startswith("/_control/") else None
        if not path.startswith("/_control/"):
            with st.lock:  # logged on arrival, so a request the client abandoned is still seen
                st.requests.append(entry)
        try:
            if path.startswith("/_control/"):
                return self._control(method, path)
            if method != "GET":
                return self._send(405, b"method not allowed", "text/plain")
            target = self.path
            fault = st.take_fault(target)
            if fault and self._pre_fault(fault, path):
                return
            if path.startswith("/isb-2/api/") or path.startswith("/isb/api/"):
                self._isb(path, fault)
            elif path.startswith("/api/"):
                self._inaproc(path, query, fault)
            else:
                self._send(404, b"not found", "text/plain")
        finally:
            entry["status"] = self._status

    def _control(self, method: str, path: str) -> None:
        st = self.state
        if path == "/_control/faults" and method == "POST":
            try:
                fault = st.add_fault(self._read_json())
            except (ValueError, TypeError) as exc:
                return self._send(400, _dumps({"error": str(exc)}))
            return self._send(201, _dumps(fault))
        if path == "/_control/faults" and method == "DELETE":
            with st.lock:
                st.faults.clear()
            return self._send(200, b"{}")
        if path == "/_control/faults" and method == "GET":
            with st.lock:
                return self._send(200, _dumps(st.faults))
        if path == "/_control/requests" and method == "GET":
            with st.lock:
                return self._send(200, _dumps(list(st.requests)))
        if path == "/_control/requests" and method == "DELETE":
            with st.lock:
                st.requests.clear()
            return self._send(200, b"{}")
        if path == "/_control/rows" and method == "POST":
            doc = self._read_json()
            with st.lock:
                st.overrides[doc["dataset"]] = doc["rows"]
            st.changed()
            return self._send(200, b"{}")
        self._send(404, b'{"error": "unknown control path"}')

    # -- faults that replace the whole answer -----------------------------------------------
    def _pre_fault(self, fault: dict[str, Any], path: str) -> bool:
        """Apply a fault that does not need the normal body; True if the reply was sent."""
        kind = fault["kind"]
        is_api = path.startswith("/api/")
        if kind == "timeout":
            time.sleep(float(fault.get("delay", 2.0)))
            return False  # then answer normally; the client has usually given up by now
        if kind == "status":
            code = int(fault.get("status", 500))
            headers = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else None
            if is_api:
                self._envelope_error(code, fault.get("message", f"simulated {code}"), headers=headers)
            else:
                self._send(code, fault.get("message", _ERROR_CODES.get(code, "error")).encode(), "text/plain", headers)
            return True
        if kind == "rate_limit":
            headers = {"Retry-After": str(fault.get("retry_after", 1))}
            if is_api:
                self._envelope_error(429, "rate limit exceeded", headers=headers)
            else:
                self._send(429, b"Too Many Requests", "text/plain", headers)
            return True
        if kind == "malformed_json":
            self._send(200, b'{"success": true, "data": [{\'kd_rup\': 1,}], "meta": {}}')
            return True
        if kind == "html_error":
            code = int(fault.get("status", 502))
            page = NGINX_PAGE.format(code=code, reason=_ERROR_CODES.get(code, "OK") if code != 200 else "OK")
            self._send(code, page.encode(), "text/html")
            return True
        if kind == "empty_body":
            self._send(200, b"")
            return True
        if kind == "invalid_response":
            self._send(200, EMPTY_ISB, "text/html")
            return True
        if kind == "url_not_defined":
            self._send(200, f"URL-NOT-DEFINED: {path}".encode(), "text/plain")
            return True
        return False  # truncated, repeat_cursor: need the normal body

    def _reply_json(self, status: int, body: bytes, fault: dict[str, Any] | None,
                    headers: Mapping[str, str] | None = None) -> None:
        if fault and fault["kind"] == "truncated":
            cut = body[: max(1, int(len(body) * float(fault.get("fraction", 0.5))))]
            if fault.get("honest_length", True):
                return self._send(status, cut, headers=headers)
            return self._send(status, cut, headers=headers, content_length=len(body), close=True)
        self._send(status, body, headers=headers)

    # -- ISB --------------------------------------------------------------------------------
    def _isb(self, path: str, fault: dict[str, Any] | None) -> None:
        st = self.state
        segs = path.split("/")
        # ['', 'isb-2', 'api', key, 'json', service_id, Dataset, 'tipe', t, 'parameter', v]
        if len(segs) != 11 or segs[4] != "json" or segs[7] != "tipe" or segs[9] != "parameter":
            return self._send(200, f"URL-NOT-DEFINED: {path}".encode(), "text/plain")
        key, name, values = segs[3], segs[6], segs[10].split(":")
        route = st.by_isb.get(name)
        if route is None or len(values) != len(route.isb_param_order):
            return self._send(200, f"URL-NOT-DEFINED: {path}".encode(), "text/plain")
        if st.is_unavailable("isb", route.dataset):
            page = NGINX_PAGE.format(code=404, reason=_ERROR_CODES[404])
            return self._send(404, page.encode(), "text/html")
        params = dict(zip(route.isb_param_order, values))
        instansi = params.get("kd_lpse") or params.get("kd_klpd") or ""
        if key != st.isb_key(route.dataset, instansi):
            return self._send(403, b"Forbidden: invalid api key", "text/plain")
        try:
            tahun = int(params["tahun"]) if "tahun" in params else None
            kd_lpse = int(params["kd_lpse"]) if "kd_lpse" in params else None
        except ValueError:
            return self._send(200, f"URL-NOT-DEFINED: {path}".encode(), "text/plain")
        rows = st.rows("isb", route.dataset, params.get("kd_klpd"), kd_lpse, tahun)
        if len(rows) == 0:
            return self._send(200, EMPTY_ISB, "text/html")
        body = st.body(("isb", route.dataset, params.get("kd_klpd"), kd_lpse, tahun), lambda: _dumps(list(rows)))
        self._reply_json(200, body, fault)

    # -- INAPROC ----------------------------------------------------------------------------
    def _inaproc(self, path: str, query: dict[str, list[str]], fault: dict[str, Any] | None) -> None:
        st = self.state
        auth = self.headers.get("Authorization")
        if auth is None:
            return self._send(401, b'{"error": "Authorization field missing"}', headers={"X-Request-Id": self._request_id})
        if auth != f"Bearer {st.token}":
            return self._envelope_error(401, "Token tidak valid / invalid token")
        legacy = path.startswith("/api/legacy/")
        api_path = "/v1/" + path[len("/api/legacy/"):] if legacy else path[len("/api"):]
        route = st.by_path.get(api_path)
        if route is None or (not legacy and st.is_unavailable("inaproc_v1", route.dataset)):
            return self._envelope_error(404, f"endpoint tidak ditemukan / endpoint not found: {path}")
        q = {k: v[-1] for k, v in query.items()}
        kode_klpd = q.get("kode_klpd")
        try:
            tahun = int(q["tahun"]) if q.get("tahun") else None
            limit = int(q.get("limit", 1))
        except ValueError:
            return self._envelope_error(400, "tahun/limit harus angka / tahun and limit must be integers")
        if not kode_klpd:
            return self._envelope_error(400, "kode_klpd wajib diisi / kode_klpd is required")
        if legacy:
            rows = st.rows("isb", route.dataset, kode_klpd, None, tahun)
            return self._reply_json(200, _dumps(list(rows)), fault, {"X-Request-Id": self._request_id})
        if not 1 <= limit <= 1000:
            return self._envelope_error(400, "limit harus 1..1000 / limit must be 1..1000")
        scope = f"{kode_klpd}|{tahun}|{limit}"
        try:
            offset = decode_cursor(q["cursor"], route.dataset, scope) if q.get("cursor") else 0
        except ValueError as exc:
            return self._envelope_error(400, str(exc))
        rows = st.rows("inaproc_v1", route.dataset, kode_klpd, None, tahun)
        repeat = bool(fault and fault["kind"] == "repeat_cursor")

        def render() -> bytes:
            chunk = list(rows[offset: offset + limit])
            end = offset + len(chunk)
            has_more = end < len(rows)
            cursor = encode_cursor(route.dataset, scope, end) if has_more else ""
            if repeat:  # a valid cursor (page 2's), returned again and again: "cursor boleh sama"
                has_more, cursor = True, encode_cursor(route.dataset, scope, min(limit, len(rows)))
            return _dumps({"success": True, "data": chunk,
                           "meta": {"limit": limit, "has_more": has_more, "cursor": cursor}})

        body = render() if repeat else st.body(("v1", route.dataset, kode_klpd, tahun, offset, limit), render)
        self._reply_json(200, body, fault, {"X-Request-Id": self._request_id})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class SimulatorHandle:
    """A running simulator. Use as a context manager or call `stop()`."""

    def __init__(self, server: _Server, thread: threading.Thread, state: _State) -> None:
        self._server, self._thread, self._state = server, thread, state
        host, port = server.server_address[:2]
        self.host, self.port = host, port
        self.base_url = f"http://{host}:{port}"
        self.inaproc_url = f"{self.base_url}/api"
        self.token = state.token

    # rows
    def set_rows(self, dataset: str, rows: Sequence[dict]) -> None:
        """Serve `rows` for `dataset` from now on (e.g. snapshot 1 then snapshot 2)."""
        with self._state.lock:
            self._state.overrides[dataset] = rows
        self._state.changed()

    def set_provider(self, provider: Any) -> None:
        with self._state.lock:
            self._state.provider = _as_provider(provider)
            self._state.overrides.clear()
        self._state.changed()

    # addressing
    def route(self, dataset: str) -> Route:
        return self._state.routes[dataset]

    def isb_url(self, dataset: str, kd_klpd_or_lpse: str | int, tahun: int | str, *, key: str | None = None) -> str:
        """The keyed ISB URL for (dataset, instansi, tahun), as LKPP would issue it."""
        r = self._state.routes[dataset]
        instansi = str(kd_klpd_or_lpse)
        values = {"tahun": str(tahun), "kd_klpd": instansi, "kd_lpse": instansi}
        types = {"tahun": "4", "kd_klpd": "12", "kd_lpse": "4"}
        tipe = ":".join(types[p] for p in r.isb_param_order)
        param = ":".join(values[p] for p in r.isb_param_order)
        key = key or self._state.isb_key(dataset, instansi)
        return f"{self.base_url}/isb-2/api/{key}/json/{r.service_id}/{r.isb_name}/tipe/{tipe}/parameter/{param}"

    def isb_url_registry(self, instansi: Mapping[str, Sequence[str | int]]) -> dict[str, dict[str, str]]:
        """`{dataset: {instansi: url with "{tahun}"}}` for every route, the format routing reads.

        `instansi` = `{"klpd": [...kd_klpd], "lpse": [...kd_lpse]}`; each dataset gets the codes of
        its ISB filter family.
        """
        return {
            name: {str(i): self.isb_url(name, i, "{tahun}") for i in instansi.get(r.filter_by, ())}
            for name, r in self._state.routes.items()
        }

    # endpoints that answer 404
    def set_unavailable(self, unavailable: Mapping[str, Iterable[str]] | None) -> None:
        """`{"inaproc_v1": [...], "isb": [...]}`: these answer 404 from now on (replaces the last call;
        the provider's own `unavailable` still applies)."""
        self._state.set_unavailable(unavailable)

    # faults and log
    def add_fault(self, kind: str, match: str = "", times: int | None = 1, **extra: Any) -> None:
        self._state.add_fault({"kind": kind, "match": match, "times": times, **extra})

    def clear_faults(self) -> None:
        with self._state.lock:
            self._state.faults.clear()

    def requests(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return [dict(r) for r in self._state.requests]

    def clear_requests(self) -> None:
        with self._state.lock:
            self._state.requests.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "SimulatorHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start_simulator(
    provider: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str = DEFAULT_TOKEN,
    isb_keys: Mapping[Any, str] | None = None,
    routes: Mapping[str, Route] | None = None,
    inaproc_shape: Callable[[str, list], Sequence[dict]] | None = None,
    body_cache_mb: int = 64,
    unavailable: Mapping[str, Iterable[str]] | None = None,
) -> SimulatorHandle:
    """Start serving `provider` in a background thread; `port=0` picks a free port.

    `isb_keys`: `{(dataset, instansi): key}` or `{dataset: key}`; unspecified pairs get a stable
    derived key (use `handle.isb_url` to obtain it). `inaproc_shape(dataset, rows)` converts ISB-
    shaped rows to INAPROC v1 names (e.g. the generator's `to_inaproc_v1`); default: unchanged
    (a provider with `inaproc_rows(...)`, like `Province`, is asked directly). `body_cache_mb`
    bounds the cache of rendered bodies (cleared whenever the rows change). `unavailable`:
    `{"inaproc_v1": [...], "isb": [...]}` datasets (or ISB names / v1 paths) answering 404 forever,
    on top of the provider's own `unavailable` attribute.
    """
    state = _State(provider, routes if routes is not None else routes_from_datasets(), token, isb_keys, inaproc_shape)
    state.set_unavailable(unavailable)
    state.body_cache_limit = body_cache_mb * 1024 * 1024
    handler = type("Handler", (_Handler,), {"state": state})
    server = _Server((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"pantau-sim-{server.server_address[1]}", daemon=True)
    thread.start()
    return SimulatorHandle(server, thread, state)


def main(argv: list[str] | None = None) -> None:
    """Serve the generator's province (imported here only) until interrupted."""
    ap = argparse.ArgumentParser(description="Pantau PBJ local ISB/INAPROC simulator")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--token", default=DEFAULT_TOKEN)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--tahun", type=int, default=2025)
    ap.add_argument("--isb-urls-out", help="write the ISB URL registry JSON here (for PANTAU_ISB_URLS_FILE)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    from pantau.simulator import generator

    province = generator.generate(args.seed, args.scale, args.tahun)
    handle = start_simulator(province, host=args.host, port=args.port, token=args.token)
    if args.isb_urls_out:
        instansi = {"klpd": sorted({k.kd_klpd for k in province.klpds}),
                    "lpse": sorted({k.kd_lpse for k in province.klpds})}
        with open(args.isb_urls_out, "w", encoding="utf-8") as fh:
            json.dump(handle.isb_url_registry(instansi), fh, indent=1)
    print(f"simulator: {province.n_rows:,} rows; INAPROC {handle.inaproc_url} (token {args.token!r}); "
          f"ISB {handle.base_url}/isb-2/api/...", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        handle.stop()


if __name__ == "__main__":
    main()
