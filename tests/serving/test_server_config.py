"""What the server does between script runs: nothing that blocks every other session."""
from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def test_no_full_garbage_collection_after_every_run() -> None:
    # Streamlit's default runs gc.collect(2) after each run (~150 ms, the interpreter blocked for
    # every session); a crowd of twenty then waits seconds (bench/bench_crowd.py).
    config = tomllib.loads(CONFIG.read_text())
    assert config["runner"]["postScriptGC"] is False


def test_heap_is_frozen_once_after_a_signed_in_run(app_engine) -> None:  # noqa: ANN001
    import gc

    from helpers import open_page, signed_in
    from ui import data

    data.freeze_heap.clear()
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    at = open_page("pages/home.py", state=signed_in(app_engine, "leader"))
    assert not at.exception
    try:
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_at_most_two_malloc_arenas_unless_the_operator_says_otherwise() -> None:
    """Every session's script runs in a thread; glibc's per-thread arenas kept a crowd's memory
    (bench_crowd: peak ~500 MB for 20 sessions instead of ~290 MB)."""
    import os
    import subprocess
    import sys

    root = CONFIG.parents[1]
    code = "from ui import data; print(data.limit_memory_arenas())"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    env["PYTHONPATH"] = str(root)
    run = lambda e: subprocess.run([sys.executable, "-c", code], cwd=root, env=e, capture_output=True,  # noqa: E731
                                   text=True, timeout=120).stdout.strip().splitlines()[-1]
    assert run(env) == "True"
    assert run({**env, "MALLOC_ARENA_MAX": "4"}) == "False"
    assert "MALLOC_ARENA_MAX ?= 2" in (root / "Makefile").read_text()
