"""Serving it for real (issues 17, 18): two app processes (`uvicorn serve:app`) on one PostgreSQL
database behind nginx with HTTPS, configured by the very file README installs
(deploy/nginx/dashboard.conf, only ports and paths changed). Chromium signs in through the proxy (a
self-signed certificate) and the cookie is Secure; a session opened on one process is valid on the
other, and ended on one it is ended on both. Skipped, with the reason, without nginx, openssl or
PostgreSQL."""
from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from browser_auth import FORM, submit_sign_in
from browser_server import ROOT, free_port
from helpers import settle

sys.path.insert(0, str(ROOT / "bench"))
from stclient import StreamlitSession, session_cookie  # noqa: E402

pytestmark = pytest.mark.browser
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NGINX_CONF = ROOT / "deploy" / "nginx" / "dashboard.conf"


def _missing() -> str | None:
    if not shutil.which("nginx"):
        return "nginx is not installed (Debian: apt-get install -y nginx)"
    if not shutil.which("openssl"):
        return "openssl is not installed"
    try:
        probe = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}"
    return None


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            pytest.fail(f"{url} did not become healthy; see {log}")
        time.sleep(0.3)


@contextmanager
def _process(cmd: list[str], env: dict, log: Path) -> Iterator[subprocess.Popen]:
    out = open(log, "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        out.close()


def nginx_conf(folder: Path, https_port: int, http_port: int, upstreams: list[int]) -> Path:
    """deploy/nginx/dashboard.conf inside a minimal nginx.conf of its own (no root paths), with this
    test's ports, certificate and app processes."""
    site = NGINX_CONF.read_text()
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("/etc/nginx/dashboard.crt", str(folder / "cert.pem"))
    site = site.replace("/etc/nginx/dashboard.key", str(folder / "key.pem"))
    servers = iter(upstreams)
    site = re.sub(r"server 127\.0\.0\.1:87\d\d", lambda _: f"server 127.0.0.1:{next(servers)}", site)
    assert next(servers, None) is None, "the deploy file names two app processes"
    conf = folder / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read this test's folder
    conf.write_text(f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/nginx-access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{site}
}}
""")
    return conf


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    missing = _missing()
    if missing:
        pytest.skip(missing)
    folder = tmp_path_factory.mktemp("deploy")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    env = {**os.environ, "DATABASE_URL": PG_URL, "DATABASE_SCHEMA": schema, "PYTHONPATH": str(ROOT),
           # Every process signs Streamlit's own cookies with the same secret (README).
           "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_urlsafe(32)}
    try:
        subprocess.run([sys.executable, "-m", "sample_data.generate"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
                       check=True, capture_output=True)
        ports = [free_port(), free_port()]
        https_port, http_port = free_port(), free_port()
        with ExitStack() as stack:
            apps = []
            for port in ports:
                log = folder / f"app-{port}.log"
                proc = stack.enter_context(_process(
                    [sys.executable, "-m", "uvicorn", "serve:app", "--host", "127.0.0.1", "--port", str(port),
                     "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"], env, log))
                apps.append((f"http://127.0.0.1:{port}", proc, log))
            for url, proc, log in apps:
                _wait_healthy(url, proc, log)
            conf = nginx_conf(folder, https_port, http_port, ports)
            check = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(folder)], capture_output=True, text=True)
            assert check.returncode == 0, check.stderr
            nginx = stack.enter_context(_process(["nginx", "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
                                                 env, folder / "nginx.out"))
            proxy = f"https://127.0.0.1:{https_port}"
            deadline = time.time() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                    break
                except OSError:
                    if nginx.poll() is not None or time.time() > deadline:
                        pytest.fail(f"nginx did not start: {(folder / 'nginx-error.log').read_text()}")
                    time.sleep(0.2)
            yield dict(proxy=proxy, apps=[a[0] for a in apps], folder=folder, http_port=http_port)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def test_health_and_https_redirect_through_the_proxy(deployment) -> None:  # noqa: ANN001
    import ssl

    context = ssl.create_default_context(cafile=str(deployment["folder"] / "cert.pem"))
    with urllib.request.urlopen(f"{deployment['proxy']}/healthz", context=context, timeout=10) as answer:
        assert answer.status == 200 and b'"database":"ok"' in answer.read()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(f"http://127.0.0.1:{deployment['http_port']}/", timeout=10)
        raise AssertionError("plain http must redirect")
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 301 and redirect.headers["Location"].startswith("https://")


def test_a_browser_signs_in_through_the_proxy_over_https(deployment, browser, artifacts) -> None:  # noqa: ANN001
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN", ignore_https_errors=True)
    try:
        page = ctx.new_page()
        link = "indicator?indicator=smd_managed&period=2026Q3"
        page.goto(f"{deployment['proxy']}/{link}")
        settle(page)
        submit_sign_in(page, "leader")
        assert page.url == f"{deployment['proxy']}/{link}"
        page.get_by_text("严重精神障碍患者规范管理率 · 2026年第3季度").first.wait_for(timeout=30_000)
        (cookie,) = [c for c in ctx.cookies() if c["name"] == "dash_session"]
        assert cookie["secure"] is True and cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
        page.reload()
        settle(page)
        assert page.locator(f'{FORM} input[type="password"]').count() == 0
        assert page.locator('[data-testid="stSidebar"]').get_by_text("领导小组成员（演示）").count() == 1
        page.screenshot(path=str(artifacts / "proxy-signed-in.png"))
        assert page.query_selector('[data-testid="stException"]') is None
    finally:
        ctx.close()


def _run(coroutine):  # noqa: ANN001, ANN202
    """asyncio in a thread of its own: Playwright's sync API keeps a loop running in this one."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _opens_signed_in(url: str, token: str | None) -> bool:
    """Open the app on one process with (or without) the session cookie, as a browser tab does."""
    async with StreamlitSession(url, cookies={"dash_session": token} if token else None) as tab:
        run = await tab.open()
    signed_in = any("领导小组成员（演示）" in t for t in run.texts())
    form = any('class="dash-signin"' in p.body for p in run.widgets("html"))
    assert signed_in != form
    return signed_in


def test_a_session_opened_on_one_process_is_valid_on_the_other(deployment) -> None:  # noqa: ANN001
    first, second = deployment["apps"]
    token = session_cookie(first, "leader", "demo2026")
    assert _run(_opens_signed_in(second, token))
    assert _run(_opens_signed_in(first, token))
    assert not _run(_opens_signed_in(second, None))
    # Signed out on the second process: ended on the first too.
    request = urllib.request.Request(f"{second}/session/sign-out", data=b"next=/", method="POST",
                                     headers={"Origin": second, "Cookie": f"dash_session={token}"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(request, timeout=30)
    except urllib.error.HTTPError as answer:
        assert answer.code == 303
    assert not _run(_opens_signed_in(first, token))
