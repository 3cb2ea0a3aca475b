"""Benchmark: what reading each hostile file costs, and what the sandbox costs a good file.

For every file of the hostile corpus (tests/hostile_files.py, built from the sample county's health
template) the whole read -- guards, and calamine only if they pass -- runs in a sandbox child, as
the upload page, the CLI and the reference import run it. Printed per file: the refusal, the time
to refuse, how far the child's resident memory peaked above its start, and the server process's own
peak. Then the net under the guards: calamine straight on the two killer files in a child (what main
did), which the memory ceiling turns into a refusal. Then the price for a good file: the same read
in-process and through the sandbox, 1,000 and 20,000 rows.

    .venv/bin/python bench/bench_hostile.py
"""
from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import hostile_files as hf  # noqa: E402
from data_access.db import make_engine, session_scope, upgrade_schema  # noqa: E402
from data_access.ingest import reader, sandbox  # noqa: E402
from data_access.ingest.spec import build_spec  # noqa: E402
from data_access.ingest.templates import write_template  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best(fn, repeat: int = 5) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    from sample_data.generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.sqlite")
        upgrade_schema(engine)
        generate(engine)
        with session_scope(engine) as s:
            spec = build_spec(s, "health", "2026Q3")
        engine.dispose()
    values = {e.code: {"smd_managed:num": 40, "smd_managed:den": 50, "rehab_participation:num": 20,
                       "rehab_participation:den": 40, "mh_records:num": 5000, "mh_records:den": 10000}
              for e in spec.entities}
    good = write_template(spec, values=values)
    limits = sandbox.DEFAULT_LIMITS
    sandbox.warm_up()
    time.sleep(1)
    print(f"Hostile files (sandbox child: {limits.memory_mb} MiB address space over its start, "
          f"{limits.seconds:g} s, {limits.workers} at once)")
    head = f"{'file':<26}{'size':>10}{'refused as':>34}{'seconds':>9}{'child MB':>10}{'server MB':>11}"
    print(head)
    print("-" * len(head))
    worst = 0.0
    for name, (build, expected) in hf.CORPUS.items():
        data = build(good)
        before = peak_mb()
        started = time.perf_counter()
        result, child_mb = sandbox.run(hf.job_memory_mb, reader.read, data, spec)
        seconds = time.perf_counter() - started
        keys = [p.key for p in result.problems if p.severity == "error"]
        assert keys == [expected], (name, keys)
        worst = max(worst, child_mb)
        print(f"{name:<26}{len(data):>10,}{keys[0].removeprefix('ingest.err.'):>34}{seconds:>9.2f}{child_mb:>10.0f}"
              f"{peak_mb() - before:>11.0f}")
    print(f"\nLargest peak of a child over its start: {worst:.0f} MB; the server's own peak: {peak_mb():.0f} MB.")

    print("\nThe net under the guards: calamine straight on the file in a child (what main did in the server)")
    for name in ("far_cell", "grid_corner"):
        data = hf.CORPUS[name][0](good)
        started = time.perf_counter()
        try:
            sandbox.run(hf.calamine_unguarded, data)
            outcome = "read (!)"
        except sandbox.Refused as refused:
            outcome = f"refused: {refused.reason} ({refused.detail})"
        print(f"  {name:<24}{outcome}  after {time.perf_counter() - started:.2f} s; server peak {peak_mb():.0f} MB")

    print("\nA good file: the whole read in-process and through the sandbox (best of 5)")
    for size in (1000, 20000):
        rows = _village_sheet(size)
        local = best(lambda: reader.read(rows[0], rows[1]))
        child = best(lambda: sandbox.read_untrusted(reader.read, rows[0], rows[1]))
        print(f"  {size:>6,} rows  in-process {local:.3f} s   sandbox {child:.3f} s   (+{(child - local) * 1000:.0f} ms)")
    return 0


def _village_sheet(size: int) -> tuple[bytes, object]:
    """A per-village sheet of `size` rows (the bench_ingest shape), and its spec."""
    from bench.bench_ingest import seed, workbook

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/v.sqlite")
        upgrade_schema(engine)
        seed(engine, size)
        data = workbook(engine, 0)
        with session_scope(engine) as s:
            spec = build_spec(s, "bench", "2026Q3")
        engine.dispose()
    return data, spec


if __name__ == "__main__":
    sys.exit(main())
