"""Serving the app for the real-browser tests: `streamlit run serve.py` on a free port over a fresh sample
database (imported by name: tests/conftest.py shadows "conftest")."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(folder: Path, *extra: str, port: int | None = None, admin: tuple[str, str] | None = None
                ) -> Iterator[str]:
    """`streamlit run serve.py` (app.py with the sign-in routes) on a free port over a fresh sample database in `folder`; yields its URL.
    extra: more `streamlit run` options (e.g. --secrets.files). admin=(username, password): an empty
    database with only that administrator, as `create-admin` leaves a new deployment."""
    db_file = folder / "app.sqlite"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_file}", "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_SCHEMA", None)
    if admin:
        subprocess.run([sys.executable, "-m", "data_access.users", "create-admin", "--username", admin[0],
                        "--display-name", admin[0], "--password-stdin"], cwd=ROOT, env=env, check=True,
                       capture_output=True, input=f"{admin[1]}\n{admin[1]}\n", text=True)
    else:
        subprocess.run([sys.executable, "-m", "sample_data.generate"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    port = port or free_port()
    log = open(folder / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", *extra],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"streamlit did not start; see {log.name}")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
