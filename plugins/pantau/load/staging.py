"""Write a fetch's normalised rows into `staging.<dataset>` with COPY.

Why COPY through an in-memory CSV: row-by-row INSERTs and `DataFrame.to_sql` are one round trip
(or one parsed statement) per row; COPY streams the whole frame in one command and the server
parses it in C. Driver choice, measured by `bench/load.py` on this (shared, 2-core, heavily
loaded) machine, 200,000 e-Katalog v6 rows × 24 columns, same CSV buffer: psycopg2 `copy_expert`
3.97 s, psycopg 3 `cursor.copy().write()` 4.54 s, psycopg 3 `write_row` (Python adaptation per
row) ~12.4 s extrapolated. The two buffer COPYs are equal within noise; we keep psycopg2, the
project's driver for our own SQL (pantau.db), so no second connection type is needed. The
bottleneck is building the CSV (`DataFrame.to_csv`, ~75 % of write_staging), not the COPY.
"""
from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

from psycopg2 import sql

from pantau.datasets import LINEAGE_COLUMNS, spec

if TYPE_CHECKING:  # pandas is imported lazily: DAG files import pantau.load at parse time
    import pandas as pd
    import psycopg2.extensions

# NULL marker in the CSV: unambiguous against the empty string (which stays ''); a text value
# that is literally "\N" would read back as NULL — accepted, such values do not occur in the feeds.
NULL_MARK = r"\N"
_STAGING_LOCK_NS = 727_005  # advisory-lock namespace: one writer per fetch at a time
_INT_TYPES = {"bigint", "integer"}


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
    """CSV text of the frame (no header, NULL_MARK for missing values), rewound."""
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep=NULL_MARK, lineterminator="\n")
    buf.seek(0)
    return buf


def copy_sql(dataset: str, cols: list[str]) -> sql.Composed:
    """The COPY statement for `staging.<dataset>` and the given columns."""
    return sql.SQL("COPY {}.{} ({}) FROM STDIN WITH (FORMAT csv, NULL {})").format(
        sql.Identifier("staging"), sql.Identifier(dataset),
        sql.SQL(", ").join(map(sql.Identifier, cols)), sql.Literal(NULL_MARK),
    )


def write_staging(conn: "psycopg2.extensions.connection", dataset: str, fetch_id: int,
                  df: "pd.DataFrame") -> int:
    """Replace the fetch's rows in `staging.<dataset>` by `df`; return the number of rows written.

    Runs inside the caller's transaction and does **not** commit: the DELETE of earlier rows and
    the COPY become visible together when the caller commits (e.g. `with pantau.db.transaction()
    as conn:`), so a crash never leaves a half-written fetch. A transaction-level advisory lock
    per fetch serialises two writers of the same fetch.
    """
    frame, cols = prepare_frame(dataset, fetch_id, df)
    buf = frame_to_csv(frame)
    with conn.cursor() as cur:
        cur.execute("SET LOCAL TimeZone = 'Asia/Jakarta'")
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_STAGING_LOCK_NS, int(fetch_id) % 2_147_483_647))
        cur.execute(
            sql.SQL("DELETE FROM {}.{} WHERE fetch_id = %s").format(sql.Identifier("staging"), sql.Identifier(dataset)),
            (fetch_id,),
        )
        cur.copy_expert(copy_sql(dataset, cols).as_string(conn), buf, size=1 << 20)
    return len(frame)
