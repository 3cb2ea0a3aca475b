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
