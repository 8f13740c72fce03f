"""Write a fetch's normalised rows into `staging.<dataset>` with COPY.

Why COPY: row-by-row INSERTs and `DataFrame.to_sql` are one round trip (or one parsed statement)
per row; COPY streams the whole frame in one command and the server parses it in C. Driver choice,
measured by `bench/load.py` on this (shared, 2-core, heavily loaded) machine, 200,000 e-Katalog v6
rows × 24 columns, same buffer: psycopg2 `copy_expert` 3.97 s, psycopg 3 `cursor.copy().write()`
4.54 s, psycopg 3 `write_row` (Python adaptation per row) ~12.4 s extrapolated. The two buffer
COPYs are equal within noise; we keep psycopg2, the project's driver for our own SQL (pantau.db).

Why COPY TEXT built column by column, streamed from a thread (issue 4, acceptance 6). The former
path built one CSV with `DataFrame.to_csv` and then sent it: at 1,000,000 v6 rows to_csv alone took
33–41 s of 47–66 s, 0.23–0.34× the rows/s of a raw `psql \\copy` of the same CSV. Now each column
becomes a list of cells with C-level/vectorised work (ints/floats/dates formatted once per
distinct value via factorize/np.unique, strings taken as they are and escaped only when a
backslash/tab/newline/CR occurs anywhere in the column), rows are joined with "\\t".join, and
the text goes out in chunks while the next chunk is built (`_PipelinedReader`: psycopg2 releases
the GIL while sending, the server parses in its own process, so build and COPY overlap on the
second core). TEXT format needs no quoting, only four escapes. Measured (same machine, same data,
one bench run, best of 2; figures vary ±30 % with the machine's load):
  before (to_csv + COPY csv): write_staging 47.5 s = 21,047 rows/s; psql \\copy CSV 16.4 s = 61,114
    rows/s → 0.34× (0.23× in an earlier run); to_sql 618 rows/s → 34×.
  300,000 rows, TEXT built whole then sent: 3.6 s build + 5.3–6.5 s COPY; pipelined 6.1–6.6 s.
  first pipelined version (50,000-row chunks from the start), heavier load: 23.2 s → 0.72×.
  column-wise TEXT, pipelined (kept): write_staging 13.5 s = 74,209 rows/s (runs 13.5, 14.4 s;
    build alone 11.8 s, former to_csv 32.9 s); psql \\copy CSV 17.3 s = 57,698 rows/s → 1.29×
    (1.26× vs psql \\copy of our TEXT file; psql sends one message per line); to_sql 619
    rows/s → 120×.
Value → text rules are those of the former to_csv path (str() of Decimal/int/date/str, repr() of
floats, 'True'/'False', pandas.isna → NULL), so the server stores the same values;
tests/load/test_warehouse.py compares both paths on tricky values.
"""
from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any, Callable, Iterator

from psycopg2 import sql

from pantau.datasets import LINEAGE_COLUMNS, spec
from pantau.db import lock_key

if TYPE_CHECKING:  # pandas is imported lazily: DAG files import pantau.load at parse time
    import pandas as pd
    import psycopg2.extensions

# NULL marker (COPY TEXT's default): unambiguous against the empty string (which stays ''). Text
# cells are escaped (backslash → \\), so a value that is literally "\N" now stays text (the former
# CSV path read it back as NULL).
NULL_MARK = r"\N"
_INT_TYPES = {"bigint", "integer"}
CHUNK_ROWS = 50_000  # rows per COPY chunk (~10 MB of text for 24 columns)
QUEUE_CHUNKS = 3  # chunks built ahead of the sender
# COPY TEXT escapes: backslash first is irrelevant with translate (one pass, no re-escaping)
_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class StagingError(ValueError):
    """The frame does not fit the dataset's staging table (named columns, dataset and fetch)."""


def staging_columns(dataset: str) -> list[str]:
    """Columns of `staging.<dataset>` in table order: spec columns, then fetch_id, row_no, extra."""
    return [*spec(dataset).column_names, *(c.name for c in LINEAGE_COLUMNS)]


def _json_cell(value: Any) -> Any:
    """jsonb cell: dict/list → JSON text (Decimals/dates as strings); None/NaN stay missing."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def prepare_frame(dataset: str, fetch_id: int, df: "pd.DataFrame") -> tuple["pd.DataFrame", list[str]]:
    """Return (frame in COPY column order, column list) with types the server parses exactly.

    Integers held as floats (pandas' NaN upcast) would print as "12.0" and break COPY into
    bigint, so they become nullable Int64; JSON cells are dumped; everything else relies on
    str() of the value (Decimal keeps its digits, dates ISO, tz-aware timestamps keep offsets,
    naive ones are read as Asia/Jakarta — see write_staging).
    """
    import pandas as pd

    ds = spec(dataset)
    table_cols = staging_columns(dataset)
    unknown = [c for c in df.columns if c not in table_cols]
    if unknown:
        raise StagingError(
            f"{dataset} fetch {fetch_id}: columns not in staging.{dataset}: {unknown} "
            "(unknown source fields belong in 'extra')"
        )
    out = df.copy(deep=False)
    out["fetch_id"] = fetch_id
    if "row_no" not in out.columns:
        out["row_no"] = range(len(out))
    types = {c.name: c.pg_type for c in ds.columns}
    for name in out.columns:
        pg_type = types.get(name)
        col = out[name]
        if pg_type in _INT_TYPES and col.dtype.kind in "fO":
            try:
                out[name] = pd.to_numeric(col).round().astype("Int64")
            except (TypeError, ValueError) as exc:
                raise StagingError(f"{dataset} fetch {fetch_id}: column {name} is not integer: {exc}") from exc
    if "extra" in out.columns and out["extra"].dtype == object:
        out["extra"] = out["extra"].map(_json_cell)
    cols = [c for c in table_cols if c in out.columns]
    return out[cols], cols


def frame_to_csv(frame: "pd.DataFrame") -> io.StringIO:
    """CSV text of the frame (no header, NULL_MARK for missing values), rewound.

    The former write path, kept for `bench/load.py` (the raw `psql \\copy` reference file) and for
    comparisons; write_staging uses the COPY TEXT chunks of `copy_text_chunks`.
    """
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep=NULL_MARK, lineterminator="\n")
    buf.seek(0)
    return buf


def _fill(cells: list, mask: Any, value: str = NULL_MARK) -> list:
    """Set cells[i] = value where mask is true (in place); returns cells."""
    if mask is not None:
        import numpy as np

        for i in np.flatnonzero(mask).tolist():
            cells[i] = value
    return cells


def _formatted(values: Any, fmt: Callable[[Any], str], mask: Any = None) -> list[str]:
    """fmt() of every value of a numpy array; NULL_MARK where mask (or NaN) says missing.

    Columns that repeat values (years, fetch_id, codes, prices) are factorized and each distinct
    value is formatted once; the per-row work is then one C-level take.
    """
    import numpy as np
    import pandas as pd

    n = len(values)
    if n > 1000 and len(pd.unique(values[:: n // 500])) * 4 < 500:  # a sample says: few distinct
        codes, uniq = pd.factorize(values)  # NaN → code -1
        if len(uniq) * 4 < n:
            table = np.array([*map(fmt, uniq.tolist()), NULL_MARK], dtype=object)
            return _fill(table[codes].tolist(), mask)
    return _fill(list(map(fmt, values.tolist())), mask)


def _datetime_cells(values: Any, suffix: str = "") -> list[str]:
    """ISO-8601 text of a datetime64 array (NaT → NULL_MARK), at the coarsest exact unit.

    'YYYY-MM-DD' when every value is a midnight, else 'YYYY-MM-DDTHH:MM:SS[.ffffff[fff]]' — the
    same instants the server read from to_csv's 'YYYY-MM-DD HH:MM:SS'. `suffix` ('+00') marks
    UTC for tz-aware columns; naive ones are read in the session time zone (Asia/Jakarta).
    """
    import numpy as np

    mask = np.isnat(values)
    uniq, inverse = np.unique(values.view("i8"), return_inverse=True)
    uniq = uniq.view(values.dtype)
    present = uniq[~np.isnat(uniq)]
    unit = np.datetime_data(values.dtype)[0]
    for cand in ("D", "s", "ms", "us"):
        if cand == unit or (present.astype(f"datetime64[{cand}]") == present).all():
            unit = cand
            break
    text = np.datetime_as_string(uniq, unit=unit).astype(object)
    if suffix:
        text = text + suffix
    return _fill(text[inverse.ravel()].tolist(), mask)


def _text_cells(col: "pd.Series") -> list[str]:
    """One column as COPY TEXT cells: escaped str() of each value, NULL_MARK for missing.

    Same value → text rules as the former `to_csv` path: Decimal/int/date/str via str(), floats
    via repr(), booleans 'True'/'False', missing = pandas.isna (None, NaN, NaT, pd.NA).
    """
    import numpy as np
    import pandas as pd

    dtype = col.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind in "iub":
            return _formatted(col.to_numpy(), str)
        if dtype.kind == "f":
            values = col.to_numpy()
            return _formatted(values, repr, np.isnan(values))
        if dtype.kind == "M":
            return _datetime_cells(col.to_numpy())
    elif isinstance(dtype, pd.DatetimeTZDtype):
        return _datetime_cells(col.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(), "+00")
    elif isinstance(dtype, pd.BooleanDtype) or (
            isinstance(dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_integer_dtype(dtype)):
        mask = col.isna().to_numpy()
        return _formatted(col.to_numpy(dtype=dtype.numpy_dtype, na_value=0), str, mask)
    values = col.to_numpy(dtype=object)  # str/string, object (Decimal, date, JSON text, …), other
    mask = pd.isna(values)
    if isinstance(dtype, pd.StringDtype) or pd.api.types.infer_dtype(values, skipna=True) == "string":
        cells = _fill(values.tolist(), mask, "")
    else:
        cells = _fill(list(map(str, values.tolist())), mask, "")
    blob = "".join(cells)  # one C scan per special character instead of one test per cell
    if "\\" in blob or "\t" in blob or "\n" in blob or "\r" in blob:
        cells = [c.translate(_TEXT_ESCAPES) for c in cells]
    return _fill(cells, mask)


def frame_to_text(frame: "pd.DataFrame") -> str:
    """COPY TEXT rows of the frame: tab-separated, NULL_MARK for missing, '\\n'-terminated."""
    if len(frame) == 0:
        return ""
    cols = [_text_cells(frame.iloc[:, j]) for j in range(frame.shape[1])]
    return "\n".join(map("\t".join, zip(*cols))) + "\n"


def copy_text_chunks(frame: "pd.DataFrame", rows: int = CHUNK_ROWS) -> Iterator[str]:
    """frame_to_text of consecutive slices (their concatenation is the whole frame's text).

    Slices start small (rows/16, doubling up to `rows`) so the server starts parsing early.
    """
    start, size = 0, max(1, rows // 16)
    while start < len(frame):
        yield frame_to_text(frame.iloc[start:start + size])
        start, size = start + size, min(rows, size * 2)


class _PipelinedReader:
    """File-like for `copy_expert`: read() hands over chunks built by a background thread.

    psycopg2 releases the GIL while it sends a chunk, and the server parses it in its own process,
    so building chunk k+1 (this thread's Python work) overlaps sending and parsing chunk k. A
    bounded queue caps memory at QUEUE_CHUNKS chunks; an error while building is re-raised from
    read(), which makes psycopg2 abort the COPY (the caller's transaction then rolls back).
    """

    _END = object()

    def __init__(self, chunks: Iterator[str], depth: int = QUEUE_CHUNKS) -> None:
        import queue
        import threading

        self._queue: "queue.Queue[Any]" = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._produce, args=(chunks,), name="staging-copy-build",
                                        daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        import queue

        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, chunks: Iterator[str]) -> None:
        try:
            for chunk in chunks:
                if not self._put(chunk):
                    return
        except BaseException as exc:  # noqa: BLE001 — handed to the reading thread
            self._put(exc)
            return
        self._put(self._END)

    def read(self, size: int = -1) -> str:
        item = self._queue.get()
        if item is self._END:
            self._queue.put(item)  # later read() calls keep answering EOF
            return ""
        if isinstance(item, BaseException):
            self.error = item
            raise item
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def copy_sql(dataset: str, cols: list[str], fmt: str = "text") -> sql.Composed:
    """The COPY statement for `staging.<dataset>` and the given columns (`fmt`: 'text' or 'csv')."""
    if fmt not in ("text", "csv"):
        raise ValueError(f"COPY format must be text or csv, not {fmt!r}")
    return sql.SQL("COPY {}.{} ({}) FROM STDIN WITH (FORMAT {}, NULL {})").format(
        sql.Identifier("staging"), sql.Identifier(dataset),
        sql.SQL(", ").join(map(sql.Identifier, cols)), sql.SQL(fmt), sql.Literal(NULL_MARK),
    )


def write_staging(conn: "psycopg2.extensions.connection", dataset: str, fetch_id: int,
                  df: "pd.DataFrame") -> int:
    """Replace the fetch's rows in `staging.<dataset>` by `df`; return the number of rows written.

    Runs inside the caller's transaction and does **not** commit: the DELETE of earlier rows and
    the COPY become visible together when the caller commits (e.g. `with pantau.db.transaction()
    as conn:`), so a crash never leaves a half-written fetch. A per-fetch row lock
    (`pantau.db.lock_key`, which no auditor can hold) serialises two writers of the same fetch.
    """
    frame, cols = prepare_frame(dataset, fetch_id, df)
    with conn.cursor() as cur:
        cur.execute("SET LOCAL TimeZone = 'Asia/Jakarta'")
        lock_key(cur, f"staging:{int(fetch_id)}")
        cur.execute(
            sql.SQL("DELETE FROM {}.{} WHERE fetch_id = %s").format(sql.Identifier("staging"), sql.Identifier(dataset)),
            (fetch_id,),
        )
        reader = _PipelinedReader(copy_text_chunks(frame))
        try:
            cur.copy_expert(copy_sql(dataset, cols).as_string(conn), reader, size=1 << 20)
        except Exception as exc:
            if reader.error is not None and reader.error is not exc:  # building failed: say why
                raise reader.error from exc
            raise
        finally:
            reader.close()
    return len(frame)
