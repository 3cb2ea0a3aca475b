"""ASGI entry: the Streamlit app (app.py) with the sign-in cookie routes and the health check.

    streamlit run serve.py --server.port 8501            # what `make run` does
    uvicorn serve:app --host 127.0.0.1 --port 8501       # the same app under uvicorn (systemd, supervisor)

Both serve the same thing: app.py's pages, POST /session/sign-in and /session/sign-out (the session
cookie, serving/routes.py) and GET /healthz (200 when the database answers, else 503). Several
processes may serve one PostgreSQL database: sessions live in the database (README, "Deploy on the
county intranet").
"""
from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import streamlit as st

from data_access import memory
from serving.routes import routes

# The process's allocator settings, before anyone signs in (data_access.memory: a burst of password
# checks and twenty sessions' threads otherwise leave hundreds of MB behind).
memory.tune()

try:
    # app.py builds the navigation (st.navigation); the pages/ folder only holds its page files. Left
    # to itself, Streamlit treats a folder named pages/ as an old-style multipage app until the first
    # run of app.py in the process, and runs a deep link's page file alone, with a sidebar listing
    # files (ui.auth.guard_page keeps that safe, not pretty). A shared link is often the first request.
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
except ImportError:  # a later Streamlit without the old mode
    pass



def start_warm_up() -> None:
    """The schema check and the background warm-up (ui.data.warm_up), as soon as the server is up
    instead of at the first visitor's first page: on a fresh province server the warm-up takes ~2-3 s
    (imports, the roll-up, the overview's tables), longer than the first person takes to type a
    password. Each runs once per process; app.py's calls then find them done. A database that is not
    ready is left to app.py, which says so on the page."""
    try:
        from ui import data

        data.prepare_database()
        data.warm_up()
    except Exception:
        logging.getLogger("dashboard.warm_up").exception("warm-up at start-up skipped")


@asynccontextmanager
async def warm_up_at_start(_app: Any) -> AsyncIterator[None]:
    # In a thread: the server starts serving at once, whatever the database takes.
    threading.Thread(target=start_warm_up, name="start-up", daemon=True).start()
    yield


app = st.App("app.py", routes=routes(), lifespan=warm_up_at_start)
