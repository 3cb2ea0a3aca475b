"""Serving the app (and the bare floor page) for the benches: `streamlit run` on free localhost
ports over a bench database, N processes on one database, with their CPU time and memory read
from /proc. Everything is local and bounded: the processes end with the bench."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "_data"
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CLK_TCK = os.sysconf("SC_CLK_TCK")
FLOOR_PAGE = ROOT / "bench" / "floor_app.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@dataclass
class Servers:
    """Running server processes and their URLs (clients are spread round-robin, as a proxy would)."""

    urls: list[str]
    pids: list[int]
    logs: list[Path] = field(default_factory=list)

    def cpu(self) -> float:
        return sum(cpu_seconds(p) for p in self.pids)

    def rss(self) -> int:
        return sum(rss_bytes(p) for p in self.pids)


class PeakMemory:
    """Samples the servers' summed resident memory every 20 ms while in use; .peak in bytes."""

    def __init__(self, servers: Servers) -> None:
        self.servers, self.peak = servers, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.servers.rss())
            except OSError:
                pass
            self._stop.wait(0.02)

    def __enter__(self) -> "PeakMemory":
        self.peak = self.servers.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def sample_database(backend: str, counties: int = 1) -> tuple[dict[str, str], callable]:
    """Environment for a bench database with the sample data (and demo users); returns (env, drop)."""
    env = {"PYTHONPATH": str(ROOT)}
    scale = "county" if counties == 1 else f"c{counties}"
    if backend == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        path = DATA / f"serve-{scale}.sqlite"
        env["DATABASE_URL"] = f"sqlite:///{path}"
        # Also for a database made earlier: --if-empty brings its schema up to date and leaves its
        # data (the floor page reads it without the app's own migration step).
        _generate(env, counties)
        return env, lambda: None
    from sqlalchemy import create_engine, text

    schema = f"bench_serve_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    env.update(DATABASE_URL=PG_URL, DATABASE_SCHEMA=schema)
    _generate(env, counties)

    def drop() -> None:
        eng = create_engine(PG_URL)
        with eng.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        eng.dispose()

    return env, drop


CROWD_PASSWORD = "demo2026"
CROWD_DISPLAY_NAME = "领导小组成员（演示）"   # the demo leader's: every crowd member's page is the same


def crowd_user(i: int) -> str:
    """The i-th crowd member's account: a meeting is twenty leaders, each with their own account
    (twenty sign-ins of one account from one address at once look like guessing to the throttle)."""
    return f"bench_leader_{i + 1:02d}"


def crowd_accounts(env: dict[str, str], n: int) -> None:
    """Leader accounts crowd_user(0..n-1) in the bench database (made once, through data_access)."""
    code = f"""
from data_access import users
from data_access.db import make_engine, session_scope
from data_access import models as m
engine = make_engine()
with session_scope(engine) as s:
    have = set(s.scalars(m.User.__table__.select().with_only_columns(m.User.username)))
for i in range({n}):
    name = "bench_leader_%02d" % (i + 1)
    if name not in have:
        users.create_user(engine, users.CLI_ACTOR, username=name, display_name={CROWD_DISPLAY_NAME!r},
                          role="leader", department_id=None, password={CROWD_PASSWORD!r})
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, check=True)


def _generate(env: dict[str, str], counties: int) -> None:
    print(f"  the sample database ({counties} count{'y' if counties == 1 else 'ies'}): made or brought up to date ...", flush=True)
    subprocess.run([sys.executable, "-m", "sample_data.generate", "--counties", str(counties), "--if-empty"],
                   cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True)


@contextmanager
def serve(env: dict[str, str], processes: int = 1, script: Path | str = "serve.py",
          options: tuple[str, ...] = ()) -> Iterator[Servers]:
    """`streamlit run <script>` × processes on free ports; yields Servers; stops them at the end."""
    procs, urls, logs = [], [], []
    full_env = {"MALLOC_ARENA_MAX": "2", **os.environ, **env}   # as `make run` and `make serve` start it
    try:
        for i in range(processes):
            port = free_port()
            log_path = DATA / f"server-{port}.log"
            DATA.mkdir(parents=True, exist_ok=True)
            log = open(log_path, "w")
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--server.headless", "true", *options],
                cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
            logs.append(log_path)
        for url, proc in zip(urls, procs):
            deadline = time.time() + 90
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                        break
                except OSError:
                    if proc.poll() is not None or time.time() > deadline:
                        raise RuntimeError(f"server did not start; see {logs[urls.index(url)]}")
                    time.sleep(0.3)
        yield Servers(urls=urls, pids=[p.pid for p in procs], logs=logs)
        for path in logs:  # kept only when something went wrong
            path.unlink(missing_ok=True)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":  # python bench/servers.py accounts N: the crowd's accounts in DATABASE_URL's database
    if len(sys.argv) != 3 or sys.argv[1] != "accounts":
        sys.exit("usage: DATABASE_URL=... python bench/servers.py accounts N")
    crowd_accounts({"PYTHONPATH": str(ROOT)}, int(sys.argv[2]))
