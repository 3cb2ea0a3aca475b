"""A fresh server gets ready while the first person types their password (issue 18): the overview's
data and modules are computed and imported in the background, once per process, and nothing of
the kind runs under AppTest, where tests swap databases and clear caches."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_warm_up_computes_what_the_first_overview_reads(app_engine, monkeypatch) -> None:  # noqa: ANN001
    import gc

    from data_access import indicators as ix
    from ui import data, data_meeting, data_views

    calls = []
    real = ix.indicator_values
    monkeypatch.setattr(ix, "indicator_values", lambda *a, **k: calls.append(1) or real(*a, **k))
    try:
        data._warm()
    finally:
        gc.unfreeze()  # the warm-up ends by freezing the heap; the test process keeps collecting
    assert calls, "the warm-up computed the overview's roll-up"
    version = data.version()
    period = data.default_period_code(version)
    done = len(calls)
    # What pages/home.py then asks for comes from the caches: no roll-up, no query.
    view = data_views.overview(version, period)
    assert view is not None and view["rows"]
    assert len(calls) == done
    monkeypatch.setattr("data_access.db.session_scope", None)  # any query now would fail
    monkeypatch.setattr("ui.data_meeting.session_scope", None)
    assert data_meeting.file_stem(version, period, "zh")


def test_no_warm_up_thread_under_apptest(app_engine) -> None:  # noqa: ANN001
    from helpers import open_page

    from ui import data

    at = open_page()
    assert not at.exception
    assert data.warm_up() is None
    assert not [t for t in threading.enumerate() if t.name == "warm-up"]


def test_the_overview_does_not_load_the_briefing_file_builders() -> None:
    """fpdf, python-pptx and the map renderer load when a file is first made, not with the page."""
    code = ("import json, sys; import ui.meeting, ui.data_meeting; "
            "print(json.dumps([m for m in ('fpdf', 'pptx', 'data_access.briefing.mapimage', "
            "'data_access.briefing.pdf') if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_warm_up_builds_the_overviews_shared_tables(app_engine, monkeypatch) -> None:  # noqa: ANN001
    """The tables and the quarter labels the first overview shows are made in the background too, in
    both languages, from nothing but the version, period and language (no session is needed)."""
    import gc

    from ui import data, overview, views

    overview.tables.clear()
    views._period_labels.clear()
    try:
        data._warm()
    finally:
        gc.unfreeze()
    version = data.version()
    period = data.default_period_code(version)
    built = []
    real = overview._targets
    monkeypatch.setattr(overview, "_targets", lambda *a, **k: built.append(1) or real(*a, **k))
    for lang in ("zh", "en"):
        assert "<tbody><tr>" in overview.tables(version, period, lang).targets.html   # at least one row
        assert views._period_labels(version, lang, tuple(views.period_options(version)))
    assert not built, "served from what the warm-up built"
    assert ">Status</th>" in overview.tables(version, period, "en").targets.html


def test_the_server_starts_the_warm_up_when_it_starts(monkeypatch) -> None:
    """serve.py's lifespan: the schema check and the warm-up at start-up, in a thread; a database that
    is not ready only skips it (app.py reports it on the page)."""
    import asyncio

    import serve
    from ui import data

    calls = []
    monkeypatch.setattr(data, "prepare_database", lambda: calls.append("prepare"))
    monkeypatch.setattr(data, "warm_up", lambda: calls.append("warm"))
    serve.start_warm_up()
    assert calls == ["prepare", "warm"]

    def down() -> None:
        raise OSError("database unreachable")

    monkeypatch.setattr(data, "prepare_database", down)
    serve.start_warm_up()                      # logged, not raised
    assert calls == ["prepare", "warm"]

    started = []
    monkeypatch.setattr(serve, "start_warm_up", lambda: started.append(1))

    async def lifespan() -> None:
        async with serve.warm_up_at_start(None):
            pass

    # In a thread of its own: an earlier test of the run (Playwright's sync API) may have left an
    # event loop running in this one, where asyncio.run() refuses to start.
    runner = threading.Thread(target=lambda: asyncio.run(lifespan()))
    runner.start()
    runner.join(10)
    for t in [t for t in threading.enumerate() if t.name == "start-up"]:
        t.join(5)
    assert started == [1]
    assert serve.app._user_lifespan is serve.warm_up_at_start
