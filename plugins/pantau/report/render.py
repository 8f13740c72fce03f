"""Model → HTML (Jinja, autoescaped) → PDF (WeasyPrint, in a memory-limited child process).

HTML building is pure and cheap; PDF layout is the expensive, memory-hungry part and WeasyPrint
never returns memory to the OS, so it always runs in a worker subprocess
(`python -m pantau.report.render_worker`, see there why not multiprocessing) whose address space
is capped with `resource.setrlimit` and which is recycled after a few documents.
"""
from __future__ import annotations

import gc
import hashlib
import os
import queue
import re
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterable, Iterator, Mapping

from pantau.config import TEMPLATES_DIR
from pantau.report import formats as fmt
from pantau.report.chart import hbar_chart
from pantau.report.model import Circular, LaggingPd, canonical_json
from pantau.report.pemda import (Deadline, deadline, letter_deadline, nama_pemda, placeholders, resolve_action,
                                  resolve_texts, substitute)
from pantau.report.render_worker import WorkerProcess

TEMPLATE = "circular/surat_edaran.html.j2"
CSS_TEMPLATE = "circular/style.css.j2"
REPORT_ID_RE = re.compile(r"^SE-[A-Za-z0-9]{1,16}-\d{4}-[0-9a-f]{12}$")
PAGE_SIZES = {"A4": "210mm 297mm", "F4": "215mm 330mm"}
DEFAULT_MEM_LIMIT_MB = int(os.environ.get("PANTAU_RENDER_MEM_MB", "2048"))
DEFAULT_TIMEOUT_S = int(os.environ.get("PANTAU_RENDER_TIMEOUT_S", "300"))


class RenderError(RuntimeError):
    """The PDF could not be produced (layout error, memory limit, timeout)."""


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    pages: int
    refused_urls: tuple[str, ...]
    n_review: int
    cpu_s: float = 0.0      # CPU seconds the worker spent on this document (HTML + layout + PDF)


# ---------------------------------------------------------------------------------------------
# identity
@lru_cache(maxsize=1)
def template_version() -> str:
    """Hash of the templates and bundled assets' names: a template change gives new report ids."""
    h = hashlib.sha256()
    for path in sorted((TEMPLATES_DIR / "circular").glob("*")) + sorted((TEMPLATES_DIR / "assets").rglob("*")):
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes() if path.suffix != ".ttf" else str(path.stat().st_size).encode())
    import importlib.metadata as md

    h.update(md.version("weasyprint").encode())
    return h.hexdigest()


def report_id_for(model: Circular, cfg: Mapping[str, Any]) -> str:
    """Deterministic id: same model, config and templates → same id (and, rendered, same bytes)."""
    h = hashlib.sha256()
    h.update(model.fingerprint().encode())
    h.update(canonical_json({k: v for k, v in cfg.items() if not k.startswith("_")}).encode())
    h.update(template_version().encode())
    klpd = re.sub(r"[^A-Za-z0-9]", "", model.kd_klpd)[:16] or "X"
    return f"SE-{klpd}-{model.tahun}-{h.hexdigest()[:12]}"


# ---------------------------------------------------------------------------------------------
# context (all text prepared here; the template only places it)
def _rule_cfg(cfg: Mapping[str, Any], rule: str) -> dict[str, Any]:
    return dict((cfg.get("aturan") or {}).get(rule) or {})


def _rule_order(cfg: Mapping[str, Any], rules: Iterable[str]) -> list[str]:
    known = list((cfg.get("aturan") or {}).keys())
    present = set(rules)
    return [r for r in known if r in present] + sorted(present - set(known))


def _shortfall(pd: LaggingPd, higher_is_better: bool) -> Decimal:
    if pd.measured is None or pd.target is None:
        return Decimal(0)
    return (pd.target - pd.measured) if higher_is_better else (pd.measured - pd.target)


def rank(pds: Iterable[LaggingPd], higher_is_better: bool = True) -> list[LaggingPd]:
    """Worst first: largest shortfall, then most packages, then name (stable, deterministic)."""
    return sorted(pds, key=lambda p: (-_shortfall(p, higher_is_better), -(p.n_packages or len(p.packages)),
                                      -sum((k.nilai or 0 for k in p.packages), Decimal(0)),
                                      p.nama_satker, p.kd_satker_str))


def _higher_is_better(rule_cfg: Mapping[str, Any], pds: list[LaggingPd]) -> bool:
    """Package-count rules (unit `paket`, target 0) rank the most packages first; percent rules
    rank the lowest achievement first. `arah` in the config overrides."""
    if rule_cfg.get("arah") in ("naik", "turun"):
        return rule_cfg["arah"] == "naik"
    return not any((p.unit or "").lower() == "paket" for p in pds)


def _status(pkg, labels: Mapping[str, Any] | None = None) -> str:
    """Human status of a package (`pesanan dalam proses; barang diterima, …`), never raw codes."""
    parts = [fmt.status_label("status_pkt", pkg.status_pkt, labels),
             fmt.status_label("status_pengiriman", pkg.status_pengiriman, labels)]
    return "; ".join(p for p in parts if p) or "–"


def _rule_name(cfg, rule: str) -> str:
    return str(_rule_cfg(cfg, rule).get("nama") or f"Aturan {rule} (belum ada rumusan di konfigurasi)")


def _is_package_rule(pds: list[LaggingPd]) -> bool:
    return any((p.unit or "").lower() == "paket" for p in pds)


def _n_paket(pd: LaggingPd) -> int:
    """Packages the PD must act on: a package rule's count, else only the packages listed (an
    ITKP ratio rule's `n_packages` counts unfinished items, not packages the letter can name)."""
    if (pd.unit or "").lower() == "paket" and pd.n_packages is not None:
        return pd.n_packages
    return len(pd.packages)


def _nilai_paket(pd: LaggingPd) -> Decimal:
    listed = sum((p.nilai or Decimal(0) for p in pd.packages), Decimal(0))
    if (pd.unit or "").lower() == "paket" and not pd.packages and pd.nilai is not None:
        return pd.nilai
    return listed


def _kekurangan(pd: LaggingPd) -> Decimal:
    """Rupiah still to absorb to reach the target (penyerapan): pagu × target% − realised."""
    if pd.pagu is None or pd.target is None or pd.nilai is None or (pd.unit or "%") not in ("%",):
        return Decimal(0)
    return max(Decimal(0), pd.pagu * pd.target / 100 - pd.nilai)


def _range(values: list[str]) -> str:
    uniq = sorted(set(values), key=values.index)
    return uniq[0] if len(uniq) == 1 else f"{uniq[0]} s.d. {uniq[-1]}"


def _rule_facts(pds: list[LaggingPd]) -> list[str]:
    """What the letter says about one rule: PD count, the measure (ratio rules), package count and
    value only where the rule has packages, and the rupiah still to absorb (penyerapan)."""
    facts = [f"{fmt.angka(len(pds))} Perangkat Daerah"]
    if not _is_package_rule(pds):
        by_measure = sorted((p for p in pds if p.measured is not None), key=lambda p: p.measured)
        if by_measure:
            facts.append(f"capaian {_range([fmt.ukuran(p.measured, p.unit) for p in by_measure])} di bawah "
                         f"target {_range([fmt.ukuran(p.target, p.unit) for p in by_measure])}")
    n = sum(_n_paket(p) for p in pds)
    nilai = sum((_nilai_paket(p) for p in pds), Decimal(0))
    if n:
        facts.append(f"{fmt.angka(n)} paket" + (f" senilai {fmt.rupiah(nilai)}" if nilai > 0 else ""))
    gap = sum((_kekurangan(p) for p in pds), Decimal(0))
    if gap > 0:
        facts.append(f"kekurangan realisasi terhadap target {fmt.rupiah(gap)}")
    return facts


def _has_action(pds: list[LaggingPd]) -> bool:
    """A package rule with no package has nothing to do and is left out of the letter."""
    return not _is_package_rule(pds) or any(_n_paket(p) for p in pds)


def _short_fact(pd: LaggingPd) -> str:
    if (pd.unit or "").lower() == "paket":
        return f"{fmt.angka(_n_paket(pd))} paket"
    text = f"capaian {fmt.ukuran(pd.measured, pd.unit)}, target {fmt.ukuran(pd.target, pd.unit)}"
    return text + (f"; {fmt.angka(len(pd.packages))} paket" if pd.packages else "")


def _pd_rows(rules: list[str], by_rule: dict[str, list[LaggingPd]], c: Mapping[str, Any],
             deadlines: dict[str, Deadline]) -> list[dict[str, Any]]:
    """Lampiran I: one row per PD with an action, ranked by what is at stake. Until the what-if
    engine ranks by ITKP points, "at stake" = package value + rupiah short of the penyerapan
    target, then the percentage-point shortfall, then the package count (the lampiran says so)."""
    per_pd: dict[str, dict[str, Any]] = {}
    for rule in rules:
        higher = _higher_is_better(_rule_cfg(c, rule), by_rule[rule])
        for pd in by_rule[rule]:
            row = per_pd.setdefault(pd.kd_satker_str, {"nama": pd.nama_satker, "kd": pd.kd_satker_str, "tindak": [],
                                                       "n": 0, "nilai": Decimal(0), "gap_rp": Decimal(0),
                                                       "gap_pp": Decimal(0), "batas": []})
            row["tindak"].append(f"{_rule_name(c, rule)} ({_short_fact(pd)})")
            row["n"] += _n_paket(pd)
            row["nilai"] += _nilai_paket(pd)
            row["gap_rp"] += _kekurangan(pd)
            if (pd.unit or "%") == "%":
                row["gap_pp"] += max(Decimal(0), _shortfall(pd, higher))
            row["batas"].append(deadlines[rule])
    ranked = sorted(per_pd.values(), key=lambda r: (-(r["nilai"] + r["gap_rp"]), -r["gap_pp"], -r["n"],
                                                    r["nama"], r["kd"]))
    return [{"nama": r["nama"], "kd": r["kd"], "tindak": "; ".join(r["tindak"]),
             "n_paket": fmt.angka(r["n"]) if r["n"] else "–",
             "nilai": fmt.angka(r["nilai"]) if r["nilai"] > 0 else "–",
             "kekurangan": fmt.angka(r["gap_rp"]) if r["gap_rp"] > 0 else "–",
             "batas": min(r["batas"], key=lambda d: d.sort_key).short} for r in ranked]


def _package_groups(c: Mapping[str, Any], rule: str, pd: LaggingPd, limit: int) -> tuple[list[dict], int]:
    """One PD's packages under one rule, grouped by (Aksi, Pelaksana): the Aksi text is printed
    once per group. Each group lists its most urgent packages (days late, then value) up to
    `limit` rows and states how many more there are, so a PD with 500 open orders does not turn
    the circular into 20 pages of identical rows. Returns (groups, review count)."""
    labels = c.get("label_kode") or {}
    groups: dict[tuple[str, str, bool], list] = {}
    n_review = 0
    for p in pd.packages:
        act = resolve_action(c, rule=rule, source=p.source, status_pkt=p.status_pkt,
                             status_pengiriman=p.status_pengiriman)
        n_review += act.review
        groups.setdefault((act.aksi, act.pelaksana, act.review), []).append(p)
    out = []
    for (aksi, pelaksana, review), pkgs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        pkgs.sort(key=lambda p: (-(p.hari_terlambat or 0), -(p.nilai or 0), str(p.package_id)))
        shown, rest = pkgs[:limit], pkgs[limit:]
        out.append({
            "aturan": _rule_name(c, rule), "aksi": aksi, "pelaksana": pelaksana or "–", "review": review,
            "n": fmt.angka(len(pkgs)), "nilai": fmt.angka(sum((p.nilai or Decimal(0) for p in pkgs), Decimal(0))),
            "rows": [{"kd_rup": p.kd_rup or "–", "nama": p.nama_paket, "nilai": fmt.angka(p.nilai),
                      "status": _status(p, labels),
                      "hari": fmt.angka(p.hari_terlambat) if p.hari_terlambat is not None else "–"} for p in shown],
            "sisa": substitute(str((c.get("lampiran") or {}).get("teks_sisa") or SISA), {
                "n": fmt.angka(len(rest)),
                "nilai": fmt.rupiah(sum((p.nilai or Decimal(0) for p in rest), Decimal(0)))}) if rest else ""})
    return out, n_review


def build_context(model: Circular, cfg: Mapping[str, Any], report_id: str) -> dict[str, Any]:
    """Everything the template prints, as text."""
    values = placeholders(cfg, tahun=model.tahun, as_of=model.as_of, nomor=model.nomor)
    c = resolve_texts({k: v for k, v in cfg.items() if not k.startswith("_")}, values)
    nama = nama_pemda(cfg)
    by_rule: dict[str, list[LaggingPd]] = {}
    for pd in model.lagging:
        by_rule.setdefault(pd.rule, []).append(pd)
    rules = [r for r in _rule_order(cfg, by_rule) if _has_action(by_rule[r])]
    lamp = c.get("lampiran") or {}
    limit = int(lamp.get("maks_paket_per_aksi", 25))

    deadlines: dict[str, Deadline] = {}
    isi_items = []
    for i, rule in enumerate(rules):
        rc = _rule_cfg(c, rule)
        batas = min((p.deadline for p in by_rule[rule] if p.deadline), default=None) or deadline(cfg, rule, model.tahun)
        deadlines[rule] = dl = letter_deadline(c, rule, batas, model.tanggal)
        instr = rc.get("instruksi") or f"menindaklanjuti temuan aturan {rule} bersama UKPBJ"
        isi_items.append({"num": f"{chr(ord('a') + i % 26)}.",
                          "text": f"{instr[0].upper()}{instr[1:]} {dl.text}; {', '.join(_rule_facts(by_rule[rule]))}."})

    daftar = _pd_rows(rules, by_rule, c, deadlines)
    order = {r["kd"]: k for k, r in enumerate(daftar)}
    rincian, n_review = [], 0
    pds_with_packages = sorted({p.kd_satker_str for r in rules for p in by_rule[r] if p.packages}, key=order.get)
    for kd in pds_with_packages:
        groups, total_n, total_v, name = [], 0, Decimal(0), ""
        for rule in rules:
            for pd in by_rule[rule]:
                if pd.kd_satker_str != kd or not pd.packages:
                    continue
                name = pd.nama_satker
                g, rv = _package_groups(c, rule, pd, limit)
                groups += g
                n_review += rv
                total_n += len(pd.packages)
                total_v += sum((p.nilai or Decimal(0) for p in pd.packages), Decimal(0))
        rincian.append({"nama": name, "groups": groups, "total_paket": fmt.angka(total_n),
                        "total_nilai": fmt.angka(total_v), "batas": daftar[order[kd]]["batas"]})

    isi = c.get("isi") or {}
    bagian = [
        {"judul": "Latar Belakang", "paragraf": isi.get("latar_belakang", [])},
        {"judul": "Maksud dan Tujuan", "paragraf": isi.get("maksud_tujuan", [])},
        {"judul": "Ruang Lingkup", "paragraf": isi.get("ruang_lingkup", [])},
        {"judul": "Dasar", "paragraf": [], "butir": [
            {"num": f"{chr(ord('a') + j)}.", "text": t} for j, t in enumerate(isi.get("dasar", []))]},
        {"judul": "Isi Edaran", "paragraf": [isi.get("isi_pengantar", "")], "butir": isi_items,
         "paragraf_akhir": [isi.get("isi_penutup_daftar", "")]},
        {"judul": "Penutup", "paragraf": isi.get("penutup", [])},
    ]
    if not isi_items:
        bagian[4] = {"judul": "Isi Edaran", "paragraf": [isi.get("isi_tanpa_temuan", "Tidak terdapat Perangkat "
                                                                  "Daerah yang perlu menindaklanjuti temuan.")]}
    # Missing/failed inputs or a high orphan share: say so in the letter, before the closing.
    from pantau.report.pemda import input_caveat

    caveat = input_caveat(c, model.inputs, tahun=model.tahun)
    if caveat:
        bagian.insert(len(bagian) - 1, caveat)
    for b in bagian:
        b.setdefault("butir", [])
        b.setdefault("paragraf_akhir", [])

    signer = c["penandatangan"]
    show = bool(signer.get("tampilkan_pangkat_nip", True))
    ttd = {"kota": c["pemda"]["kota"], "tanggal": fmt.tanggal(model.tanggal), "jabatan": signer["jabatan"],
           "nama": signer["nama"], "pangkat": signer.get("pangkat") if show else None,
           "nip": signer.get("nip") if show else None}
    jabatan = " ".join(signer["jabatan"]).rstrip(",")
    nomor_text = model.nomor or "………"
    return {
        "doc": {"title": f"Surat Edaran {jabatan} Nomor {model.nomor or '(DRAF)'}",
                "author": f"{c['pemda'].get('unit', '')} {nama}".strip(), "report_id": report_id,
                "description": f"metric_run_id={model.metric_run_id}; as_of={model.as_of.isoformat()}",
                "created": f"{model.tanggal.isoformat()}T00:00:00+07:00", "draft": model.is_draft,
                "nomor_text": nomor_text, "judul": c["judul"]},
        "kop": {"lambang": c["pemda"].get("lambang", "assets/lambang-placeholder.svg"),
                "pemerintah": f"PEMERINTAH {nama.upper()}", "unit": c["pemda"].get("unit", "SEKRETARIAT DAERAH"),
                "alamat": c["pemda"].get("alamat", [])},
        "yth": {"daftar": c.get("yth", []), "penutup": c.get("yth_penutup", "")},
        "bagian": bagian, "ttd": ttd, "tembusan": c.get("tembusan", []),
        "lampiran": {"se_oleh": f"SURAT EDARAN {jabatan}", "tanggal": fmt.tanggal_caps(model.tanggal),
                     "judul_daftar": lamp.get("judul_daftar", "DAFTAR PERANGKAT DAERAH"),
                     "judul_grafik": lamp.get("judul_grafik", "GRAFIK"),
                     "judul_rincian": lamp.get("judul_rincian", "RINCIAN PAKET"),
                     "urutan": lamp.get("keterangan_urutan", URUTAN),
                     "daftar": daftar, "rincian": rincian, "n_review": n_review,
                     "periksa": (c.get("aksi_periksa") or {}).get("aksi", "Periksa status paket bersama UKPBJ")},
        "charts": build_charts(model, c),
        "n_review": n_review,
    }


SISA = "… dan ${n} paket lainnya dengan aksi yang sama senilai ${nilai} (daftar lengkap pada UKPBJ)."
URUTAN = ("Urutan menurut nilai yang dipertaruhkan: nilai paket yang harus ditindaklanjuti ditambah kekurangan "
          "realisasi terhadap target penyerapan, lalu selisih capaian terhadap target. Peringkat menurut tambahan "
          "nilai ITKP akan menggantikannya setelah simulasi dampak tersedia.")


def build_charts(model: Circular, cfg: Mapping[str, Any]) -> list:
    """ITKP components (score as % of max) and penyerapan per PD; without either, lagging vs target."""
    charts = []
    labels = cfg.get("label_kode") or {}
    if model.itkp:
        rows = [(f"{fmt.component_label(c.component, labels)} ({fmt.angka(c.score) if c.score is not None else '–'} "
                 f"dari {fmt.angka(c.max_score) if c.max_score is not None else '–'})",
                 (c.score / c.max_score * 100) if c.score is not None and c.max_score else None, None, None)
                for c in model.itkp]
        charts.append(hbar_chart("Komponen ITKP (skor terhadap skor maksimal, %)", rows,
                                 (("Skor (% dari maksimal)", "#4a6fa5"),), row_h=16))
    if model.penyerapan:
        items = sorted(model.penyerapan, key=lambda p: (p.paid_pct or 0, p.nama_satker))
        per = 46
        for start in range(0, len(items), per):
            chunk = items[start:start + per]
            rows = [(p.nama_satker, p.committed_pct, p.paid_pct, p.target_pct) for p in chunk]
            charts.append(hbar_chart(
                f"Penyerapan per Perangkat Daerah per {fmt.tanggal(model.as_of)} (% dari pagu)"
                + (f", bagian {start // per + 1}" if len(items) > per else ""), rows,
                (("Terkontrak", "#4a6fa5"), ("Dibayar", "#e0a030"), ("Target (garis merah)", "#cc0000")),
                row_h=12))
    if not charts:
        for pd_rule in _rule_order(cfg, {p.rule for p in model.lagging}):
            pds = [p for p in model.lagging if p.rule == pd_rule and (p.unit in (None, "%"))][:42]
            if pds:
                rows = [(p.nama_satker, p.measured, None, p.target) for p in rank(pds)]
                charts.append(hbar_chart(f"{_rule_name(cfg, pd_rule)}: capaian terhadap target (%)", rows,
                                         (("Capaian", "#4a6fa5"), ("Target (garis merah)", "#cc0000"))))
    return charts


@lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    html = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    css = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=False, undefined=StrictUndefined)
    return html, css


def _css(model: Circular, cfg: Mapping[str, Any], report_id: str) -> str:
    """CSS from validated values only (it is rendered without escaping)."""
    if not REPORT_ID_RE.match(report_id):
        raise RenderError(f"bad report id {report_id!r}")
    paper = cfg.get("kertas") or {}
    size = PAGE_SIZES[paper.get("ukuran", "A4")]
    landscape = paper.get("lampiran_orientasi", "landscape") == "landscape"
    w, h = size.split()
    kop = [float(x) for x in paper.get("kop_font_pt", [14, 16, 9])]
    footer = f"Dibuat oleh Pantau PBJ \u00b7 ID registri {report_id} \u00b7 cek keaslian: pantau verify <berkas>"
    return _env()[1].get_template(CSS_TEMPLATE).render(
        page_size=size, lampiran_size=f"{h} {w}" if landscape else size, font_pt=float(paper.get("font_pt", 12)),
        kop_pt=kop, footer=footer, draft=model.is_draft)


def render_html(model: Circular, cfg: Mapping[str, Any], report_id: str) -> tuple[str, int]:
    """The full HTML document and the number of rows flagged for review."""
    ctx = build_context(model, cfg, report_id)
    html = _env()[0].get_template(TEMPLATE).render(css=_css(model, cfg, report_id), **ctx)
    return html, ctx["n_review"]


# ---------------------------------------------------------------------------------------------
# PDF, in a child process
def epoch_for(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp())


def render_pdf_here(model: Circular, cfg: Mapping[str, Any], report_id: str) -> RenderedPdf:
    """Lay out and write the PDF in this process. Call it only inside a worker (see `RenderPool`)."""
    from weasyprint import HTML

    from pantau.report.fetcher import AssetFetcher, base_url

    cpu0 = time.process_time()
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch_for(model.tanggal))
    # The cyclic GC keeps re-scanning the growing box tree during layout (~20 % of the CPU time
    # of a 30-page lampiran) while nearly all of WeasyPrint's garbage is freed by refcounting
    # (peak RSS is the same with the GC off). Pause it for the document; the worker's address
    # space cap still bounds memory, and the GC runs again between documents.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        html, n_review = render_html(model, cfg, report_id)
        fetcher = AssetFetcher()
        doc = HTML(string=html, base_url=base_url(), url_fetcher=fetcher).render()
        pdf = doc.write_pdf(pdf_identifier=report_id.encode("ascii"))
        pages = len(doc.pages)
    finally:
        if gc_was_enabled:
            gc.enable()
    return RenderedPdf(pdf, pages, tuple(fetcher.refused), n_review, time.process_time() - cpu0)


def _limit_memory(mem_limit_mb: int) -> None:
    """Cap this process's address space so a pathological document fails, not the host. The
    render worker applies the same cap (`render_worker._set_address_space_cap`) first thing at
    start, before this module or WeasyPrint is imported, so the cap covers all of its memory."""
    from pantau.report.render_worker import _set_address_space_cap

    _set_address_space_cap(mem_limit_mb)


def _job(args: tuple[Circular, dict, str], mem_limit_mb: int = 0) -> RenderedPdf:
    """One document inside the worker; every failure becomes a RenderError naming the report."""
    model, cfg, report_id = args
    limit = f" of {mem_limit_mb} MiB" if mem_limit_mb > 0 else ""
    try:
        return render_pdf_here(model, cfg, report_id)
    except MemoryError as exc:
        raise RenderError(f"{report_id}: memory limit{limit} reached while rendering") from exc
    except Exception as exc:  # noqa: BLE001 - the process boundary: report, never hang the pool
        raise RenderError(f"{report_id}: {type(exc).__name__}: {exc}") from exc


Job = tuple[Circular, Mapping[str, Any], str]


class RenderPool:
    """N long-lived `python -m pantau.report.render_worker` children, each memory-capped and
    recycled every `tasks_per_child` documents; threads in this process feed them.

    Plain subprocesses, not multiprocessing: they start the same way under Airflow's LocalExecutor
    (no re-run of the `airflow` entry point), inside a daemonic Celery prefork worker, under
    `dag.test()` and in the CLI. `timeout_s` applies per document: the child is killed (WeasyPrint
    cannot be interrupted) and that document raises RenderError; a dead child is replaced.
    """

    def __init__(self, processes: int = 1, *, mem_limit_mb: int = DEFAULT_MEM_LIMIT_MB,
                 tasks_per_child: int = 20, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        if processes < 1:
            raise ValueError(f"RenderPool needs at least one process, got {processes}")
        self.processes = processes
        self.mem_limit_mb = mem_limit_mb
        self.tasks_per_child = max(1, tasks_per_child)
        self.timeout_s = timeout_s
        self._closed = False
        self._lock = threading.Lock()
        self._live: set[WorkerProcess] = set()
        self._idle: queue.Queue[WorkerProcess | None] = queue.Queue()
        self._executor: ThreadPoolExecutor | None = None
        for _ in range(processes):          # start now: WeasyPrint loads while the caller prepares
            self._idle.put(self._spawn())

    @property
    def worker_pids(self) -> list[int]:
        """Pids of the live render children (for logs and tests)."""
        with self._lock:
            return sorted(w.pid for w in self._live if w.alive())

    def _spawn(self) -> WorkerProcess:
        worker = WorkerProcess(self.mem_limit_mb)
        with self._lock:
            self._live.add(worker)
        return worker

    def _retire(self, worker: WorkerProcess, *, kill: bool) -> None:
        worker.kill() if kill else worker.stop()
        with self._lock:
            self._live.discard(worker)

    def _run(self, job: Job) -> RenderedPdf:
        """Borrow a worker, render, give it back (recycled or replaced as needed)."""
        model, cfg, report_id = job
        worker = self._idle.get()
        try:
            if self._closed:
                raise RenderError(f"{report_id}: render pool is closed")
            if worker is None or not worker.alive():
                if worker is not None:
                    self._retire(worker, kill=True)
                worker = self._spawn()
            try:
                result = worker.render((model, dict(cfg), report_id), self.timeout_s)
            except RenderError:
                self._retire(worker, kill=True)   # after a failure the child's state is suspect
                worker = None
                raise
            if worker.jobs_done >= self.tasks_per_child:
                self._retire(worker, kill=False)  # WeasyPrint never gives memory back: recycle
                # one-document-per-child pools (render_pdf) would only kill an unused child
                worker = self._spawn() if self.tasks_per_child > 1 and not self._closed else None
            return result
        finally:
            self._idle.put(worker)

    def render(self, model: Circular, cfg: Mapping[str, Any], report_id: str) -> RenderedPdf:
        return self._run((model, cfg, report_id))

    def _pool_executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.processes, thread_name_prefix="render-feed")
            return self._executor

    def map(self, jobs: Iterable[Job]) -> list[RenderedPdf]:
        """Render many, results in order; the first failure is raised (the rest are cancelled)."""
        jobs = list(jobs)
        if self.processes == 1 or len(jobs) <= 1:
            return [self._run(j) for j in jobs]
        futures = [self._pool_executor().submit(self._run, j) for j in jobs]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise

    def imap(self, jobs: Iterable[Job]) -> Iterator[RenderedPdf]:
        """Results in order as they finish (for the bench and batch DAG tasks); at most two
        documents per worker are queued ahead, so a long job list is not pickled up front."""
        if self.processes == 1:
            for j in jobs:
                yield self._run(j)
            return
        pending: deque[Future] = deque()
        executor = self._pool_executor()
        try:
            for j in jobs:
                pending.append(executor.submit(self._run, j))
                if len(pending) >= 2 * self.processes:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for f in pending:
                f.cancel()

    def close(self) -> None:
        """Finish queued documents, then let every child exit."""
        self._shutdown(kill=False)

    def terminate(self) -> None:
        """Kill every child now; documents in flight raise RenderError."""
        self._shutdown(kill=True)

    def _shutdown(self, *, kill: bool) -> None:
        self._closed = True
        with self._lock:
            executor, self._executor = self._executor, None
            live = list(self._live)
        if kill:
            for w in live:
                w.kill()
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=kill)
        for _ in range(self.processes):      # every slot back: nothing is rendering any more
            worker = self._idle.get()
            if worker is not None:
                self._retire(worker, kill=kill)
            self._idle.put(None)
        with self._lock:
            leftovers, self._live = list(self._live), set()
        for w in leftovers:
            w.kill()

    def __enter__(self) -> "RenderPool":
        return self

    def __exit__(self, exc_type, *_):
        if exc_type is None:
            self.close()
        else:
            self.terminate()


def render_pdf(model: Circular, cfg: Mapping[str, Any], report_id: str, *,
               mem_limit_mb: int = DEFAULT_MEM_LIMIT_MB, timeout_s: float = DEFAULT_TIMEOUT_S) -> RenderedPdf:
    """One PDF in a fresh memory-limited child process."""
    with RenderPool(1, mem_limit_mb=mem_limit_mb, timeout_s=timeout_s, tasks_per_child=1) as pool:
        return pool.render(model, cfg, report_id)
