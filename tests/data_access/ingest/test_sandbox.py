"""The sandbox: a child that runs out of memory, time or luck becomes a refusal, never the death of
the caller; the children are bounded in number; the parent's memory stays flat while a child reads
a hostile file; nothing of the parent's __main__ runs in a child."""
from __future__ import annotations

import resource
import sys
import threading
import time
import types
from pathlib import Path

import pytest

import hostile_files as hf  # type: ignore[import-not-found]
from data_access.db import session_scope
from data_access.ingest import reader, sandbox
from data_access.ingest.sandbox import CRASH, ERROR, MEMORY, TIME, Refused, SandboxLimits
from data_access.ingest.spec import build_spec

SMALL = SandboxLimits(memory_mb=256, seconds=2, workers=2, wait_seconds=30)


def _parent_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_result_comes_back() -> None:
    assert sandbox.run(hf.sleep, 0.01, limits=SMALL) == 0.01


def test_calamine_aborting_on_the_killer_file_is_a_refusal_not_a_death(good_health: bytes) -> None:
    """Without the guards (calamine straight on the file, as main did), the allocation of ~1 TB
    aborts the child; the caller gets Refused and goes on."""
    for data in (hf.far_cell(good_health), hf.grid_corner(good_health)):
        with pytest.raises(Refused) as refused:
            sandbox.run(hf.calamine_unguarded, data, limits=SMALL)
        assert refused.value.reason in (MEMORY, CRASH)
    assert sandbox.run(hf.calamine_unguarded, good_health, limits=SMALL) > 10  # and the next file reads


def test_memory_ceiling() -> None:
    with pytest.raises(Refused) as refused:
        sandbox.run(hf.allocate, 1024, limits=SMALL)
    assert refused.value.reason == MEMORY
    assert sandbox.run(hf.allocate, 64, limits=SMALL) == 64 * 1024 * 1024


def test_time_ceiling_while_sleeping_and_while_computing() -> None:
    for fn in (hf.sleep, hf.spin):
        started = time.monotonic()
        with pytest.raises(Refused) as refused:
            sandbox.run(fn, 30, limits=SMALL)
        assert refused.value.reason == TIME
        assert time.monotonic() - started < 10


def test_a_crash_and_a_bug_are_refusals() -> None:
    with pytest.raises(Refused) as refused:
        sandbox.run(hf.abort, limits=SMALL)
    assert refused.value.reason == CRASH
    with pytest.raises(Refused) as refused:
        sandbox.run(hf.raise_error, limits=SMALL)
    assert refused.value.reason == ERROR and "a bug in a reader" in refused.value.detail


def test_children_are_bounded_and_a_long_queue_is_told_the_server_is_busy() -> None:
    limits = SandboxLimits(memory_mb=256, seconds=5, workers=2, wait_seconds=30)
    running, peak, lock = 0, 0, threading.Lock()

    def job() -> None:
        nonlocal running, peak
        with lock:
            running += 1
        sandbox.run(hf.sleep, 0.5, limits=limits)
        with lock:
            running -= 1

    # Six at once through two children: three rounds of 0.5 s.
    started = time.monotonic()
    threads = [threading.Thread(target=job) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1.4 < time.monotonic() - started < 8
    busy = SandboxLimits(memory_mb=256, seconds=5, workers=1, wait_seconds=0.3)
    holder = threading.Thread(target=sandbox.run, args=(hf.sleep, 2), kwargs={"limits": busy})
    holder.start()
    time.sleep(0.2)
    with pytest.raises(Refused) as refused:
        sandbox.run(hf.sleep, 0.01, limits=busy)
    assert refused.value.reason == sandbox.BUSY
    holder.join()


def test_read_untrusted_turns_a_refusal_into_a_clear_problem(good_health: bytes) -> None:
    result = sandbox.read_untrusted(hf.calamine_unguarded, hf.far_cell(good_health), limits=SMALL)
    assert isinstance(result, reader.ReadResult) and result.failed
    (problem,) = result.problems
    assert problem.key == "ingest.err.unreadable_memory"
    assert problem.message("zh").startswith("文件无法读取") and problem.message("en").startswith("The file cannot")
    assert "Ctrl+End" in problem.fix("zh")
    timed_out = sandbox.read_untrusted(hf.sleep, 30, limits=SandboxLimits(memory_mb=256, seconds=1, workers=1))
    assert timed_out.problems[0].key == "ingest.err.unreadable_time" and "1 秒" in timed_out.problems[0].message()


def test_the_parent_does_not_run_its_main_module_in_a_child(tmp_path: Path) -> None:
    """Streamlit swaps sys.modules["__main__"] for the page it runs; a child started the stdlib way
    would import that page. A marker file proves the stand-in __main__ never ran."""
    marker = tmp_path / "ran"
    page = tmp_path / "page.py"
    page.write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    fake = types.ModuleType("__main__")
    fake.__file__ = str(page)
    real = sys.modules["__main__"]
    sys.modules["__main__"] = fake
    try:
        limits = SandboxLimits(memory_mb=256, seconds=5, workers=1, wait_seconds=5, answer_mb=1)  # its own pool
        assert sandbox.run(hf.sleep, 0.01, limits=limits) == 0.01
    finally:
        sys.modules["__main__"] = real
    assert not marker.exists()


@pytest.mark.parametrize("name", ["far_cell", "grid_corner", "lying_zip_1gib", "millions_of_empty_cells", "huge_merge",
                                  "xls_absurd_dimensions"])
def test_peak_memory_of_reading_a_hostile_file_stays_bounded(name: str, good_health: bytes, sample_engine) -> None:  # noqa: ANN001
    """The whole read (guards, and calamine only if they pass) in a child: its peak resident memory
    over its start stays under 300 MB (main: 6.5 GB to ~1 TB, or 2.3 GB for the lying zip), and the
    parent's own peak does not move."""
    with session_scope(sample_engine) as s:
        spec = build_spec(s, "health", "2026Q3")
    data = hf.CORPUS[name][0](good_health)
    parent_before = _parent_peak_mb()
    (result, child_mb) = sandbox.run(hf.job_memory_mb, reader.read, data, spec)
    assert [p.key for p in result.problems if p.severity == "error"] == [hf.CORPUS[name][1]]
    assert child_mb < 300, f"{name}: the child grew by {child_mb:.0f} MB"
    assert _parent_peak_mb() - parent_before < 50


def test_a_spare_killed_from_outside_is_replaced() -> None:
    import os
    import signal

    limits = SandboxLimits(memory_mb=256, seconds=5, workers=1, wait_seconds=5, answer_mb=2)  # its own pool
    sandbox.warm_up(limits)
    pool = sandbox._pool(limits)
    deadline = time.monotonic() + 30
    while not pool.spares and time.monotonic() < deadline:
        time.sleep(0.05)
    for spare in pool.spares:
        os.kill(spare.process.pid, signal.SIGKILL)
    assert sandbox.run(hf.sleep, 0.01, limits=limits) == 0.01
