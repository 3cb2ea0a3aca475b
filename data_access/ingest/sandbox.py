"""Untrusted files are parsed in a child process, where a failure cannot hurt the server.

A hostile workbook can make a parser allocate terabytes (python-calamine aborts the whole process
when an allocation fails: no exception, the interpreter dies), spin for minutes, or hit a bug. The
guards in reader.py refuse every such file we know of with a precise message; this module is the
net under them. run(fn, *args) calls fn in a fresh child process with

- a memory ceiling (RLIMIT_AS = the child's size at start + INGEST_WORKER_MB, default 1024 MiB),
- a time ceiling (INGEST_WORKER_SECONDS, default 60: SIGALRM and RLIMIT_CPU in the child, a
  deadline in the parent),
- no core files, stderr to /dev/null (a Rust abort prints a backtrace; the parent logs the outcome),
- a ceiling on the size of the answer it may send back,

and turns any death of the child (signal, MemoryError, time-out, exception) into Refused, which the
callers show as "文件无法读取…". At most INGEST_WORKERS children (default 2, one per core) run at
once, so 20 uploads at the same moment queue instead of exhausting memory; a caller that waits more
than INGEST_WORKER_WAIT seconds (default 120) is refused as "server busy".

Why children of a fork server: the Streamlit server is multi-threaded, and forking it could copy a
lock held by another thread into the child. The stdlib fork server is a small single-threaded
process started once (with the reader, openpyxl and calamine already imported); each child is a
fork of it, so a child costs a few milliseconds, not an interpreter start. A child is started ahead
of need (a spare waits for its job), so a call pays only for sending the bytes and the answer.
Each child serves one job and exits: nothing of one file survives into the next.
"""
from __future__ import annotations

import gc
import logging
import math
import os
import pickle
import resource
import signal
import threading
import time
import traceback
from pathlib import Path
from dataclasses import dataclass
from multiprocessing import get_context, popen_forkserver, spawn
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerProcess
from typing import Any, Callable

log = logging.getLogger(__name__)

# Imported once in the fork server, so a child starts with the readers loaded (a child importing
# them itself would pay ~0.5 s per file).
_PRELOAD = ["data_access.ingest.sandbox", "data_access.ingest.reader", "data_access.ingest.annotate",
            "data_access.ingest.reference", "xlrd", "data_access.setup.geofiles", "data_access.ingest.sandbox_warm"]

ACK_SECONDS = 30   # a child acknowledges its job at once; only a machine in distress takes longer
MEMORY, TIME, CRASH, ERROR, BUSY, TOO_BIG = "memory", "time", "crash", "error", "busy", "answer_too_big"


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class SandboxLimits:
    memory_mb: int = int(_env_float("INGEST_WORKER_MB", 1024))
    seconds: float = _env_float("INGEST_WORKER_SECONDS", 60)
    workers: int = max(1, int(_env_float("INGEST_WORKERS", 2)))
    wait_seconds: float = _env_float("INGEST_WORKER_WAIT", 120)
    answer_mb: int = 512


DEFAULT_LIMITS = SandboxLimits()


class Refused(Exception):
    """The child could not do the job: reason is MEMORY, TIME, CRASH, ERROR, BUSY or TOO_BIG."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# --- the child ---------------------------------------------------------------------------------

def _vm_size() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _serve_one(conn: Connection, memory_bytes: int, seconds: float) -> None:
    """Body of a child: set the ceilings, wait for one job, answer, exit."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = _vm_size() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        job = conn.recv_bytes()
        conn.send_bytes(b"")  # "started": from here on, a death is this job's doing
    except (EOFError, OSError):  # the parent went away
        os._exit(0)
    # The clock starts with the job. SIGALRM's default action ends the process even while the
    # thread is inside Rust code, where Python's own signal handlers would never run.
    signal.alarm(max(1, math.ceil(seconds)))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime + seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    # A child lives for one job and builds no reference cycles worth collecting: the cyclic GC would
    # only rescan the growing grid again and again (a third of the time on a 20,000-row sheet).
    gc.disable()
    try:
        fn, args = pickle.loads(job)
        del job
        answer = pickle.dumps(("ok", fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        answer = pickle.dumps((MEMORY, ""))
    except BaseException:  # noqa: BLE001 -- anything the file provokes is reported, not raised
        try:
            answer = pickle.dumps((ERROR, traceback.format_exc()[-4000:]))
        except MemoryError:
            answer = pickle.dumps((MEMORY, ""))
    try:
        conn.send_bytes(answer)
    except (OSError, ValueError):
        pass
    os._exit(0)


# --- starting children without the parent's __main__ ---------------------------------------------

class _Popen(popen_forkserver.Popen):
    """The stdlib's fork-server launcher, minus one thing: it tells the child to re-import the
    parent's __main__, which under Streamlit is whichever page script a session happens to be
    running (Streamlit swaps sys.modules["__main__"] per run); a child would run that page. Our
    children need nothing from __main__, so the preparation data leaves it out."""

    def _launch(self, process_obj: Any) -> None:
        import io

        from multiprocessing import forkserver, util
        from multiprocessing.context import reduction, set_spawning_popen

        prep_data = {k: v for k, v in spawn.get_preparation_data(process_obj._name).items()
                     if k not in ("init_main_from_path", "init_main_from_name")}
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> _Popen:
        return _Popen(process_obj)


_ctx = get_context("forkserver")
_ctx.set_forkserver_preload(_PRELOAD)


def _project_on_pythonpath() -> None:
    """Python 3.11's fork server imports the preload modules before it applies the parent's
    sys.path, and drops an ImportError silently (every child would then import the readers itself).
    The server inherits the environment, so the project root goes on PYTHONPATH before it starts."""
    root = str(Path(__file__).resolve().parents[2])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in {str(Path(p).resolve()) for p in paths}:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *paths])


_project_on_pythonpath()


class _Gone(Exception):
    """A spare child died before its job was sent (killed from outside): start another."""


class _Child:
    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits
        self.conn, child_end = _ctx.Pipe(duplex=True)
        self.process = _Process(target=_serve_one, args=(child_end, limits.memory_mb * 1024 * 1024, limits.seconds),
                                daemon=True, name="ingest-sandbox")
        self.process.start()
        child_end.close()

    def call(self, fn: Callable[..., Any], args: tuple) -> Any:
        job = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.conn.send_bytes(job)
            del job
            # A spare that died before its job (killed from outside) is not the file's fault.
            if not self.conn.poll(ACK_SECONDS):
                self.kill()
                raise _Gone("no acknowledgement")
            self.conn.recv_bytes(16)
        except (EOFError, OSError) as exc:
            raise _Gone(str(exc)) from None
        # The child ends itself at `seconds`; the parent's own deadline is a little later.
        if not self.conn.poll(self.limits.seconds + 5):
            self.kill()
            raise Refused(TIME, f"no answer in {self.limits.seconds:g} s")
        try:
            answer = self.conn.recv_bytes(self.limits.answer_mb * 1024 * 1024)
        except (EOFError, ConnectionError):
            self.process.join(5)
            code = self.process.exitcode
            if code in (-signal.SIGALRM, -signal.SIGXCPU):
                raise Refused(TIME, f"exit code {code}") from None
            raise Refused(CRASH, f"exit code {code}") from None
        except OSError as exc:  # longer than answer_mb
            self.kill()
            raise Refused(TOO_BIG, str(exc)) from None
        status, value = pickle.loads(answer)
        if status == "ok":
            return value
        raise Refused(status, value)

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()

    def close(self) -> bool:
        """Close our end; True once the process is reaped (a child that has just answered is
        usually still exiting: the pool reaps it later instead of waiting here)."""
        self.conn.close()
        if self.process.exitcode is None:
            return False
        self.process.close()
        return True


class _Pool:
    """Bounded concurrency and ready spares, per SandboxLimits (one pool per distinct limits)."""

    def __init__(self, limits: SandboxLimits) -> None:
        self.limits = limits
        self.slots = threading.BoundedSemaphore(limits.workers)
        self.lock = threading.Lock()
        self.spares: list[_Child] = []
        self.exiting: list[_Child] = []     # answered or killed, not yet reaped

    def take(self) -> _Child:
        with self.lock:
            while self.spares:
                child = self.spares.pop()
                if child.alive():
                    return child
                self.exiting.append(child)
        return _Child(self.limits)

    def retire(self, child: _Child) -> None:
        with self.lock:
            self.exiting.append(child)
            self.exiting = [c for c in self.exiting if not c.close()]

    def refill(self) -> None:
        """Start spares up to one per free slot (a spare costs a few MB of unshared memory)."""
        with self.lock:
            missing = self.limits.workers - len(self.spares)
        for _ in range(max(0, missing)):
            try:
                child = _Child(self.limits)
            except OSError as exc:  # too many processes, out of memory: the next call starts its own
                log.warning("ingest sandbox: could not start a spare child: %s", exc)
                return
            with self.lock:
                if len(self.spares) < self.limits.workers:
                    self.spares.append(child)
                    child = None
            if child is not None:
                child.close()

    def run(self, fn: Callable[..., Any], args: tuple) -> Any:
        if not self.slots.acquire(timeout=self.limits.wait_seconds):
            raise Refused(BUSY, f"{self.limits.workers} children busy for {self.limits.wait_seconds:g} s")
        try:
            for attempt in range(2):
                try:
                    child = self.take()
                except OSError as exc:  # no process could be started (process or memory limit of the machine)
                    raise Refused(BUSY, f"no child: {exc}") from None
                try:
                    return child.call(fn, args)
                except _Gone as gone:
                    if attempt:
                        raise Refused(CRASH, f"children die before their job: {gone}") from None
                finally:
                    self.retire(child)
            raise AssertionError("unreachable")
        finally:
            self.slots.release()
            # The next spare starts off the caller's clock.
            threading.Thread(target=self.refill, name="ingest-sandbox-refill", daemon=True).start()


_pools: dict[SandboxLimits, _Pool] = {}
_pools_lock = threading.Lock()


def _pool(limits: SandboxLimits) -> _Pool:
    with _pools_lock:
        if limits not in _pools:
            _pools[limits] = _Pool(limits)
        return _pools[limits]


def run(fn: Callable[..., Any], *args: Any, limits: SandboxLimits | None = None) -> Any:
    """fn(*args) in a child process under the limits; its result (which must pickle), or Refused.

    fn must be a module-level function (it is sent by name). Refused.reason says what went wrong;
    the parent logs it, the caller tells the user."""
    limits = limits or DEFAULT_LIMITS
    started = time.perf_counter()
    try:
        return _pool(limits).run(fn, args)
    except Refused as refused:
        log.warning("ingest sandbox refused %s after %.1f s: %s", getattr(fn, "__qualname__", fn),
                    time.perf_counter() - started, refused)
        raise


def warm_up(limits: SandboxLimits | None = None) -> None:
    """Start the fork server and the spares now (the app calls this at start-up, off the request path)."""
    _pool(limits or DEFAULT_LIMITS).refill()


# --- the one entry point for reading an uploaded file -------------------------------------------

REFUSAL_KEYS = {MEMORY: "ingest.err.unreadable_memory", CRASH: "ingest.err.unreadable_memory",
                TOO_BIG: "ingest.err.unreadable_memory", TIME: "ingest.err.unreadable_time",
                ERROR: "ingest.err.unreadable", BUSY: "ingest.err.server_busy"}


def read_untrusted(fn: Callable[..., Any], data: bytes, *args: Any, limits: SandboxLimits | None = None) -> Any:
    """fn(data, *args) -- a whole read: open, guards, locate, parse -- in a sandbox child.

    The quarterly upload (commit.prepare, so the 上传报表 page and the CLI) and the reference import
    (reference.check_import) read through here. fn returns a ReadResult; when the child is refused
    the answer is a ReadResult holding one error that says why, so callers need no other path."""
    from data_access.ingest.problems import err
    from data_access.ingest.reader import ReadResult

    limits = limits or DEFAULT_LIMITS
    try:
        return run(fn, data, *args, limits=limits)
    except Refused as refused:
        return ReadResult(problems=[err(REFUSAL_KEYS[refused.reason], seconds=round(limits.seconds))])
