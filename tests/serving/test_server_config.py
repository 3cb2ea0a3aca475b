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


def test_no_page_relies_on_magic() -> None:
    """runner.magicEnabled is off (compiling a page costs a fifth): a bare expression in app.py or a
    page would then silently show nothing, so there is none. A docstring is not drawn either way."""
    import ast

    config = tomllib.loads(CONFIG.read_text())
    assert config["runner"]["magicEnabled"] is False
    root = CONFIG.parents[1]
    found = []
    for path in [root / "app.py", *sorted((root / "pages").glob("*.py"))]:
        for parent in ast.walk(ast.parse(path.read_text())):
            for field in ("body", "orelse", "finalbody"):
                seq = getattr(parent, field, None)
                for i, node in enumerate(seq if isinstance(seq, list) else []):
                    if not isinstance(node, ast.Expr) or isinstance(node.value, (ast.Call, ast.Await, ast.Yield,
                                                                                 ast.YieldFrom)):
                        continue
                    docstring = (i == 0 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                                 and isinstance(parent, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)))
                    if not docstring:
                        found.append(f"{path.name}:{node.lineno}")
    assert not found, f"bare expressions that magic would have drawn: {found}"


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


def test_allocator_settings_unless_the_operator_says_otherwise() -> None:
    """Every session's script runs in a thread, and each password check needs 19 MiB: at most two
    malloc arenas and big buffers given back at once (data_access.memory; bench_crowd: peak ~500 MB
    for 20 sessions instead of ~290 MB; test_sign_in_memory: +346 MiB for 24 sign-ins instead of
    +24 MiB). The server applies both at start-up (serve.py); importing data_access does not."""
    import os
    import subprocess
    import sys

    root = CONFIG.parents[1]
    code = ("import data_access.users; from data_access import memory; before = dict(memory._done); "
            "import serve; print(sorted(before.items()), sorted(memory._done.items()))")
    env = {k: v for k, v in os.environ.items() if k not in ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_")}
    env["PYTHONPATH"] = str(root)
    run = lambda e: subprocess.run([sys.executable, "-c", code], cwd=root, env=e, capture_output=True,  # noqa: E731
                                   text=True, timeout=120).stdout.strip().splitlines()[-1]
    assert run(env) == "[] [('arenas', True), ('mmap_threshold', True)]"
    assert run({**env, "MALLOC_ARENA_MAX": "4"}) == "[] [('arenas', False), ('mmap_threshold', True)]"
    assert "memory.tune()" in (root / "app.py").read_text()   # `streamlit run app.py` as well
    assert "MALLOC_ARENA_MAX ?= 2" in (root / "Makefile").read_text()
