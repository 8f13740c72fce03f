"""`pantau verify FILE.pdf`: is this a registered, unaltered circular, and what was it built from?

The answer rests on the registry, never on the file's own claims: a file is accepted only when
its exact sha256 is in `audit.report`. A file that names a report id (footer, /ID, metadata) but
has other bytes is rejected, saying which circular it pretends to be and where it differs.
Exit codes: 0 accepted, 1 rejected, 2 usage or I/O error.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pantau.ids import REPORT_ID_IN_BYTES, UnsafePath, check_relative_path, resolve_under

REPORT_ID_BYTES = REPORT_ID_IN_BYTES


@dataclass
class Verdict:
    ok: bool
    reason: str
    sha256: str
    report_id: str | None = None
    details: list[str] = field(default_factory=list)


def _first_difference(a: bytes, b: bytes) -> int | None:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


def _registered_copy(rel_path: str) -> Path:
    """The registered PDF under OUTPUT_DIR. The stored path is data: a row written before paths
    were checked may hold `../`, so it is checked and resolved under OUTPUT_DIR (`UnsafePath`)
    before any file is opened."""
    from pantau.report.build import circulars_dir

    root = circulars_dir().parent
    check_relative_path(rel_path, what="registered report path", root=str(root))
    return resolve_under(root, rel_path, what="registered report path")


def verify_bytes(data: bytes, *, url: str | None = None) -> Verdict:
    """Check bytes against the registry (see module docstring)."""
    from pantau import db
    from pantau.report import registry

    digest = hashlib.sha256(data).hexdigest()
    conn = db.connect(url)
    try:
        row = registry.by_sha256(conn, digest)
        if row:
            details = [f"laporan/report: {row.report_id}",
                       f"KLPD {row.kd_klpd}, tahun {row.tahun}, data per {row.as_of.isoformat()}, "
                       f"tanggal {row.tanggal.isoformat()}",
                       f"nomor: {row.nomor}" if row.nomor else "nomor: (DRAF — belum bernomor)",
                       f"metric_run_id: {row.metric_run_id}",
                       f"fetch_ids: {', '.join(map(str, row.fetch_ids)) or '-'}"]
            for f in registry.lineage(conn, row.fetch_ids):
                if f.get("missing"):
                    details.append(f"  fetch {f['fetch_id']}: not in raw.fetch")
                elif "dataset" in f:
                    details.append(f"  fetch {f['fetch_id']}: {f['dataset']} {f['kd_klpd']} {f['tahun']} "
                                   f"at {f['fetched_at']} sha256 {str(f['sha256'])[:16]}")
            return Verdict(True, "registered and unaltered", digest, row.report_id, details)

        ids = sorted({m.decode() for m in REPORT_ID_BYTES.findall(data)})
        for rid in ids:
            claimed = registry.by_id(conn, rid)
            if not claimed:
                continue
            why = (f"altered: the file names circular {rid}, registered with sha256 {claimed.sha256}, "
                   f"but its sha256 is {digest}")
            details = [f"size: file {len(data)} bytes, registered {claimed.n_bytes} bytes"]
            try:
                original: Path | None = _registered_copy(claimed.path)
            except UnsafePath as exc:
                details.append(f"registered copy not read: {exc}")
                original = None
            if original is not None and original.is_file():
                diff = _first_difference(data, original.read_bytes())
                if diff is not None:
                    details.append(f"first differing byte at offset {diff}")
            return Verdict(False, why, digest, rid, details)
        if ids:
            return Verdict(False, f"not registered: names report id(s) {', '.join(ids)} unknown to the registry",
                           digest, ids[0])
        return Verdict(False, "not registered: sha256 unknown and no Pantau report id in the file", digest)
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    """CLI entry (`pantau verify FILE.pdf [--url URL]`)."""
    ap = argparse.ArgumentParser(prog="pantau verify", description="Periksa keaslian PDF surat edaran Pantau PBJ")
    ap.add_argument("file", type=Path)
    ap.add_argument("--url", default=None, help="warehouse URL (default: PANTAU_WAREHOUSE_URL)")
    args = ap.parse_args(argv)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"ERROR: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    v = verify_bytes(data, url=args.url)
    head = "OK" if v.ok else "DITOLAK/REJECTED"
    print(f"{head}: {args.file}: {v.reason}")
    print(f"sha256: {v.sha256}")
    for line in v.details:
        print(line)
    return 0 if v.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
