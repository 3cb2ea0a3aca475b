"""The data version is read once per script run (ui.data.version): five reads a click were one
database round trip each, for every session (issue 18). A write in the run makes it read again."""
from __future__ import annotations

import threading

from data_access import db
from data_access.db import session_scope
from view_helpers import html_tables
from helpers import open_page, signed_in
from ui import data


def _in_thread(fn):  # noqa: ANN001, ANN202
    """Run fn in a new thread (a script run has a thread of its own) and return its result."""
    out = []
    worker = threading.Thread(target=lambda: out.append(fn()))
    worker.start()
    worker.join()
    return out[0]


def test_one_read_per_run_and_a_fresh_one_after_a_write(writable_app, monkeypatch) -> None:
    reads = []
    real = db.data_version
    monkeypatch.setattr(db, "data_version", lambda *a, **k: reads.append(1) or real(*a, **k))

    def run() -> tuple[int, int, int, int]:
        data.begin_run()
        first, second = data.version(), data.version()
        with session_scope() as s:       # the run writes: an accepted sheet, say
            db.bump_data_version(s)
        return first, second, data.version(), len(reads)

    first, second, after_write, count = _in_thread(run)
    assert first == second and after_write == first + 1
    assert count == 2


def test_outside_a_run_every_call_reads(writable_app, monkeypatch) -> None:
    """The warm-up thread, tests, anything that did not begin a run: no memo at all."""
    def outside() -> list[int]:
        before = data.version()
        with session_scope() as s:
            db.bump_data_version(s)
        return [before, data.version()]

    before, after = _in_thread(outside)
    assert after == before + 1


def test_a_signed_in_overview_run_reads_the_version_once(app_engine, monkeypatch) -> None:
    at = open_page(state=signed_in(app_engine, "leader"))
    reads = []
    real = db.data_version
    monkeypatch.setattr(db, "data_version", lambda *a, **k: reads.append(1) or real(*a, **k))
    at.run()
    assert not at.exception and len(html_tables(at)) >= 1   # the overview ran to its tables
    assert len(reads) == 1
