"""The PDF render worker: a plain `python -m pantau.report.render_worker` child process.

Why a subprocess and not `multiprocessing`: under Airflow's LocalExecutor a `spawn` child re-runs
the parent's `__main__` (the `airflow` entry point) and dies on the task-blocked metadata URL; in a
Celery prefork worker (a daemonic process) multiprocessing refuses to start children at all. A
fresh interpreter running this module inherits nothing but the environment, under any executor,
`dag.test()`, the CLI or pytest.

Protocol (both directions): frames of an 8-byte big-endian length followed by a pickle.
    child → parent  ("ready", pid, startup_error | None)      once, after WeasyPrint is loaded
    parent → child  ("render", (model, cfg, report_id))         one document
    child → parent  ("ok", RenderedPdf) | ("error", message)    its outcome
    parent → child  EOF (stdin closed) or ("stop", None)        the worker exits
The child's fd 1 is kept for frames only (stray prints of libraries go to stderr); stderr is the
worker's log, forwarded line by line by the parent. The address-space cap (`RLIMIT_AS`) is set
first thing in the child, before WeasyPrint is imported, so the cap covers all of its memory.

Pickles are only exchanged between this package's own parent and child over private pipes.
"""
from __future__ import annotations

import argparse
import errno
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, BinaryIO

HEADER = struct.Struct(">Q")
MAX_FRAME = 1 << 31                      # 2 GiB: far above any real circular, catches garbage
STARTUP_TIMEOUT_S = float(os.environ.get("PANTAU_RENDER_STARTUP_TIMEOUT_S", "120"))
PLUGINS_DIR = Path(__file__).resolve().parents[2]


class WorkerDied(RuntimeError):
    """The child closed its end (exit, signal) before a complete frame arrived."""


class WorkerTimeout(RuntimeError):
    """No complete frame before the deadline."""


# ---------------------------------------------------------------------------------------------
# framing
def encode_frame(obj: Any) -> bytes:
    """Length-prefixed pickle of `obj`."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def write_frame(out: BinaryIO, obj: Any) -> None:
    out.write(encode_frame(obj))
    out.flush()


def _read_exact_blocking(inp: BinaryIO, n: int) -> bytes | None:
    """Child side: block until `n` bytes (None on a clean EOF before the first byte)."""
    chunks, got = [], 0
    while got < n:
        chunk = inp.read(n - got)
        if not chunk:
            if got == 0:
                return None
            raise EOFError(f"truncated frame: {got} of {n} bytes")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame_blocking(inp: BinaryIO) -> Any | None:
    """Child side: the next frame, or None when the parent closed the pipe."""
    head = _read_exact_blocking(inp, HEADER.size)
    if head is None:
        return None
    (size,) = HEADER.unpack(head)
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes refused")
    body = _read_exact_blocking(inp, size)
    if body is None:
        raise EOFError("frame header without body")
    return pickle.loads(body)


def _read_exact_fd(fd: int, n: int, deadline: float) -> bytes:
    """Parent side: `n` bytes from a raw pipe fd before `deadline` (time.monotonic)."""
    buf = bytearray()
    while len(buf) < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WorkerTimeout(f"{len(buf)} of {n} bytes before the deadline")
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, min(n - len(buf), 1 << 20))
        if not chunk:
            raise WorkerDied(f"end of stream after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def read_frame_fd(fd: int, deadline: float) -> Any:
    """Parent side: one frame from the child's stdout, raw fd (no buffered reader: select must
    see every byte that is still pending)."""
    (size,) = HEADER.unpack(_read_exact_fd(fd, HEADER.size, deadline))
    if size > MAX_FRAME:
        raise WorkerDied(f"frame of {size} bytes refused (corrupt stream)")
    return pickle.loads(_read_exact_fd(fd, size, deadline))


# ---------------------------------------------------------------------------------------------
# parent side: one child process
def worker_command(mem_limit_mb: int) -> list[str]:
    """`python -P -m pantau.report.render_worker`: `-P` keeps the working directory off sys.path
    so a stray `pantau/` folder where Airflow happens to run cannot shadow the package."""
    python = os.environ.get("PANTAU_RENDER_PYTHON") or sys.executable
    return [python, "-P", "-m", "pantau.report.render_worker", "--mem-limit-mb", str(int(mem_limit_mb))]


def worker_env() -> dict[str, str]:
    """The parent's environment with `plugins/` first on PYTHONPATH (the package this file is in)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PLUGINS_DIR)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["PYTHONUNBUFFERED"] = "1"          # worker log lines reach the task log as they happen
    return env


def describe_exit(returncode: int | None) -> str:
    """'killed by SIGKILL' / 'exited with status 1' / 'still running'."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with status {returncode}"


class WorkerProcess:
    """One render child: start, render documents one at a time with a deadline, stop or kill.

    Used by one thread at a time (the pool hands it out); `kill` may come from any thread."""

    def __init__(self, mem_limit_mb: int) -> None:
        self.mem_limit_mb = mem_limit_mb
        self.jobs_done = 0
        self._ready = False
        self._startup_error: str | None = None
        self._stderr_tail: deque[str] = deque(maxlen=20)
        self.proc = subprocess.Popen(worker_command(mem_limit_mb), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=worker_env(), close_fds=True)
        self._log_thread = threading.Thread(target=self._forward_stderr, name=f"render-worker-{self.pid}-log",
                                            daemon=True)
        self._log_thread.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _forward_stderr(self) -> None:
        """Pass the child's log lines through to our stderr (the task log) and keep the last few
        for error messages."""
        stream = self.proc.stderr
        assert stream is not None
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace")
            self._stderr_tail.append(line.rstrip())
            try:
                sys.stderr.write(f"[render worker {self.pid}] {line}")
            except (OSError, ValueError):     # our stderr closed (interpreter shutting down)
                pass

    def _cause(self) -> str:
        """Why the child is gone: exit status or signal, the memory cap, its last stderr lines."""
        try:
            rc = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = self.proc.returncode
        self._log_thread.join(timeout=2)
        cap = f"; address-space limit {self.mem_limit_mb} MiB (memory)" if self.mem_limit_mb > 0 else ""
        tail = " | ".join(line for line in list(self._stderr_tail)[-5:] if line)
        return f"render worker {self.pid} {describe_exit(rc)}{cap}" + (f"; stderr: {tail}" if tail else "")

    def _await_ready(self, report_id: str) -> None:
        if self._ready:
            return
        try:
            kind, _pid, error = read_frame_fd(self.proc.stdout.fileno(), time.monotonic() + STARTUP_TIMEOUT_S)
        except WorkerTimeout as exc:
            self.kill()
            raise _render_error(f"{report_id}: render worker {self.pid} did not start within "
                                f"{STARTUP_TIMEOUT_S:.0f}s") from exc
        except (WorkerDied, EOFError, pickle.UnpicklingError) as exc:
            raise _render_error(f"{report_id}: {self._cause()} before it was ready") from exc
        if kind != "ready":
            self.kill()
            raise _render_error(f"{report_id}: render worker {self.pid} sent {kind!r} instead of 'ready'")
        self._ready, self._startup_error = True, error

    def render(self, job: tuple[Any, dict, str], timeout_s: float) -> Any:
        """Render one document; RenderError on any failure (the caller retires the worker then)."""
        report_id = job[2]
        self._await_ready(report_id)
        if self._startup_error:
            raise _render_error(f"{report_id}: {self._startup_error}")
        try:
            self.proc.stdin.write(encode_frame(("render", job)))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _render_error(f"{report_id}: {self._cause()} (could not send the document)") from exc
        try:
            kind, payload = read_frame_fd(self.proc.stdout.fileno(), time.monotonic() + timeout_s)
        except WorkerTimeout as exc:
            pid = self.pid
            self.kill()
            raise _render_error(f"{report_id}: render timed out after {timeout_s:g}s; worker {pid} killed "
                                "(WeasyPrint cannot be interrupted)") from exc
        except (WorkerDied, EOFError, pickle.UnpicklingError) as exc:
            raise _render_error(f"{report_id}: {self._cause()} while rendering") from exc
        self.jobs_done += 1
        if kind == "ok":
            return payload
        raise _render_error(str(payload))

    def stop(self, grace_s: float = 5.0) -> None:
        """Close stdin (the child exits after its current document); kill if it lingers or never
        did any work (a fresh child may still be importing WeasyPrint: nothing to wait for)."""
        if self.jobs_done == 0 or not self._ready:
            self.kill()
            return
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def kill(self) -> None:
        """SIGKILL and reap (WeasyPrint layout cannot be interrupted any other way)."""
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not ignorable
            pass
        self._close_pipes()

    def _close_pipes(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def _render_error(message: str) -> Exception:
    from pantau.report.render import RenderError

    return RenderError(message)


# ---------------------------------------------------------------------------------------------
# child side
def _set_address_space_cap(mem_limit_mb: int) -> None:
    """RLIMIT_AS in this process: a pathological document fails here, not on the host."""
    import resource

    if mem_limit_mb > 0:
        limit = mem_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _is_memory_error(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or (isinstance(exc, OSError) and exc.errno == errno.ENOMEM)


def _preload(mem_limit_mb: int) -> str | None:
    """Import the renderer and WeasyPrint once per worker; the reason as text when that fails
    (under a tiny cap it does: every job then reports it instead of the pool respawning forever)."""
    try:
        import weasyprint  # noqa: F401

        import pantau.report.render  # noqa: F401
    except BaseException as exc:  # noqa: BLE001 - MemoryError / OSError(ENOMEM) / ImportError
        what = f"{type(exc).__name__}: {exc}"
        if mem_limit_mb > 0:
            return f"could not load WeasyPrint under the address-space (memory) limit of {mem_limit_mb} MiB: {what}"
        return f"could not load WeasyPrint: {what}"
    return None


def _outcome(payload: tuple[Any, dict, str], mem_limit_mb: int) -> tuple[str, Any]:
    """("ok", RenderedPdf) or ("error", message naming the report id and the cause)."""
    from pantau.report.render import RenderError, _job

    report_id = payload[2]
    try:
        return "ok", _job(payload, mem_limit_mb=mem_limit_mb)
    except RenderError as exc:
        return "error", str(exc)
    except BaseException as exc:  # noqa: BLE001 - the process boundary: report, never die silently
        if _is_memory_error(exc):
            return "error", f"{report_id}: memory limit of {mem_limit_mb} MiB reached while rendering"
        return "error", f"{report_id}: {type(exc).__name__}: {exc}"


def _protocol_streams() -> tuple[BinaryIO, BinaryIO]:
    """Keep fd 1 for frames only: dup it, then point fd 1 (and sys.stdout) at stderr."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return sys.stdin.buffer, out


def serve(inp: BinaryIO, out: BinaryIO, mem_limit_mb: int) -> int:
    """The worker loop: one document per frame until EOF."""
    import gc

    write_frame(out, ("ready", os.getpid(), _preload(mem_limit_mb)))
    while True:
        try:
            frame = read_frame_blocking(inp)
        except (EOFError, ValueError, pickle.UnpicklingError) as exc:
            print(f"render worker {os.getpid()}: bad frame from parent: {exc}", file=sys.stderr)
            return 2
        if frame is None or frame[0] == "stop":
            return 0
        kind, payload = frame
        if kind != "render":
            print(f"render worker {os.getpid()}: unknown frame {kind!r}", file=sys.stderr)
            return 2
        result = _outcome(payload, mem_limit_mb)
        try:
            write_frame(out, result)
        except BaseException as exc:  # noqa: BLE001 - e.g. MemoryError pickling a huge PDF under the cap
            reason = "memory limit reached" if _is_memory_error(exc) else f"{type(exc).__name__}: {exc}"
            write_frame(out, ("error", f"{payload[2]}: could not return the PDF ({reason}; limit {mem_limit_mb} MiB)"))
        del result
        gc.collect()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Pantau PBJ PDF render worker (started by RenderPool)")
    ap.add_argument("--mem-limit-mb", type=int, default=0)
    args = ap.parse_args(argv)
    _set_address_space_cap(args.mem_limit_mb)
    inp, out = _protocol_streams()
    try:
        return serve(inp, out, args.mem_limit_mb)
    except KeyboardInterrupt:       # Ctrl-C reaches the whole process group; the parent reports it
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
