"""A small Streamlit client speaking the browser's protocol over /_stcore/stream (no browser).

The browser and the server exchange protobufs (streamlit/proto): the browser sends BackMsg
(rerun_script with a ClientState holding the URL's query string, the page and every widget's
value), the server answers with ForwardMsg (new_session, deltas for each element, script_finished).
This client does the same, so a crowd of sessions can be driven at the server alone: what a room of
leaders costs the server, without twenty browsers competing for the same two cores.

    async with StreamlitSession("http://127.0.0.1:8518") as s:
        run = await s.open()                       # the first run (as a browser's page load)
        run = await sign_in(s, run, "leader", "demo2026")   # posts the form, reconnects with the cookie
        run.texts()                                # what the page shows

Localhost only: the bench refuses any other host.
"""
from __future__ import annotations

import asyncio
import hashlib
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
# Element kinds whose proto carries an `id`: widgets whose values the browser sends back.
WIDGET_KINDS = {"text_input", "button", "selectbox", "multiselect", "radio", "checkbox", "segmented_control",
                "button_group", "date_input", "number_input", "text_area", "download_button", "slider",
                "toggle", "dataframe", "file_uploader", "popover", "expandable"}


@dataclass
class Run:
    """One script run as the browser sees it: the elements drawn, in delta order."""

    elements: list[tuple[str, Any]] = field(default_factory=list)   # (kind, proto)
    status: int | None = None                                       # ScriptFinishedStatus
    page_script_hash: str = ""
    started: float = 0.0
    finished: float = 0.0
    nbytes: int = 0                                                 # bytes received for this run
    navigation: list[tuple[str, str]] = field(default_factory=list)  # (url path, page hash)

    def widgets(self, kind: str) -> list[Any]:
        return [p for k, p in self.elements if k == kind]

    def texts(self) -> list[str]:
        """Text the page shows: titles, markdown, metrics, alerts, captions (what a reader reads)."""
        out = []
        for kind, p in self.elements:
            if kind in ("heading", "markdown", "alert", "text"):
                out.append(p.body)
            elif kind == "metric":
                out.append(f"{p.label}={p.body}")
        return out

    def digest(self) -> str:
        """A fingerprint of what was drawn (kinds, texts, table bytes): equal digests, same page.
        Widget ids are left out (they are the same for everyone anyway)."""
        h = hashlib.sha256()
        for kind, p in self.elements:
            h.update(kind.encode())
            if kind in ("heading", "markdown", "alert", "text"):
                h.update(p.body.encode())
            elif kind == "metric":
                h.update(f"{p.label}{p.body}{p.delta}".encode())
            elif kind == "dataframe":
                h.update(p.arrow_data.data)
                h.update(p.lazy_data.initial_chunk.data)
                if p.arrow_data.HasField("styler"):
                    h.update(p.arrow_data.styler.styles.encode())
                    h.update(p.arrow_data.styler.display_values)
            elif kind == "deck_gl_json_chart":
                h.update(p.json.encode())
            elif kind == "vega_lite_chart":
                h.update(p.spec.encode())
        return h.hexdigest()[:16]


def _check_local(url: str) -> None:
    host = urlparse(url).hostname
    if host not in LOCAL_HOSTS:
        raise ValueError(f"the bench talks to localhost only, not {host}")


class StreamlitSession:
    """One browser session: a websocket to /_stcore/stream and the state a browser keeps."""

    def __init__(self, base_url: str, path: str = "", query: str = "", cookies: dict[str, str] | None = None,
                 timeout: float = 120.0) -> None:
        _check_local(base_url)
        self.base_url = base_url.rstrip("/")
        self.path = path            # the page's URL path ("" for the default page)
        self.query = query
        self.cookies = dict(cookies or {})
        self.timeout = timeout
        self.page_script_hash = ""
        self.ws: Any = None
        self.session_id = ""
        self.pages: dict[str, str] = {}                   # url path -> page script hash (navigation)

    async def __aenter__(self) -> "StreamlitSession":
        parsed = urlparse(self.base_url)
        ws_url = f"ws://{parsed.netloc}/_stcore/stream"
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.ws = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None,
                                           additional_headers=headers, open_timeout=self.timeout,
                                           ping_interval=None)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()

    def _client_state(self, widgets: list[WidgetState], page_name: str | None = None) -> BackMsg:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_script_hash = self.page_script_hash
        cs.page_name = self.path if page_name is None else page_name
        cs.widget_states.widgets.extend(widgets)
        cs.context_info.timezone = "Asia/Shanghai"
        cs.context_info.timezone_offset = -480
        cs.context_info.locale = "zh-CN"
        cs.context_info.url = f"{self.base_url}/{self.path}"
        return msg

    async def _send(self, msg: BackMsg) -> None:
        await self.ws.send(msg.SerializeToString())

    async def _collect(self) -> Run:
        """Read ForwardMsgs until a script run has finished for good (a run that ends early for a
        rerun, st.rerun or st.switch_page, is followed by the next one; the last one counts)."""
        run = Run(started=time.perf_counter())
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the script did not finish in time")
            raw = await asyncio.wait_for(self.ws.recv(), left)
            run.nbytes += len(raw)
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                self.session_id = fm.new_session.initialize.session_id
                self.page_script_hash = fm.new_session.page_script_hash
                run.elements = []   # a new run starts: the page is drawn again
            elif kind == "navigation":
                self.page_script_hash = fm.navigation.page_script_hash
                run.navigation = [(p.url_pathname, p.page_script_hash) for p in fm.navigation.app_pages]
                self.pages = dict(run.navigation)
            elif kind == "page_not_found":
                raise LookupError(f"page not found: {fm.page_not_found.page_name}")
            elif kind == "page_info_changed":
                self.query = fm.page_info_changed.query_string
            elif kind == "delta":
                d = fm.delta
                if d.WhichOneof("type") == "new_element":
                    el = d.new_element
                    ek = el.WhichOneof("type")
                    if ek:
                        run.elements.append((ek, getattr(el, ek)))
            elif kind == "script_finished":
                status = fm.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue
                run.status = status
                run.page_script_hash = self.page_script_hash
                run.finished = time.perf_counter()
                return run

    async def open(self) -> Run:
        """The first run, as when a browser loads the page's URL."""
        await self._send(self._client_state([]))
        return await self._collect()

    async def goto(self, url_path: str, query: str = "") -> Run:
        """Open another page of the app in this session (a click on a sidebar link)."""
        self.page_script_hash = self.pages[url_path]
        self.query = query
        await self._send(self._client_state([], page_name=url_path))
        return await self._collect()

    async def rerun(self, widgets: list[WidgetState] | None = None) -> Run:
        """A rerun with the given widget states (a click)."""
        await self._send(self._client_state(widgets or [], page_name=""))
        return await self._collect()


def text_state(widget_id: str, value: str) -> WidgetState:
    w = WidgetState(id=widget_id)
    w.string_value = value
    return w


def trigger_state(widget_id: str) -> WidgetState:
    w = WidgetState(id=widget_id)
    w.trigger_value = True
    return w


SIGN_IN_PATH = "/session/sign-in"   # serving/routes.py
SESSION_COOKIE = "dash_session"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # the 303's Set-Cookie is the answer
        return None


def session_cookie(base_url: str, username: str, password: str, next_path: str = "/") -> str:
    """Post the sign-in form as the browser does (same Origin) and return the session cookie's value.
    Raises PermissionError with the route's answer when the sign-in is refused."""
    _check_local(base_url)
    body = urllib.parse.urlencode(dict(username=username, password=password, next=next_path)).encode()
    request = urllib.request.Request(f"{base_url.rstrip('/')}{SIGN_IN_PATH}", data=body, method="POST",
                                     headers={"Origin": base_url.rstrip("/"),
                                              "Content-Type": "application/x-www-form-urlencoded"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        response = opener.open(request, timeout=120)
    except urllib.error.HTTPError as exc:  # the 303 comes back as an "error" without redirects
        response = exc
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    if SESSION_COOKIE not in jar or not jar[SESSION_COOKIE].value:
        raise PermissionError(f"sign-in refused: {response.status} {response.headers.get('Location')}")
    return jar[SESSION_COOKIE].value


async def sign_in(session: StreamlitSession, run: Run, username: str, password: str) -> Run:
    """Sign in as a person does: the login form posts to /session/sign-in (HttpOnly cookie back), and
    the browser loads the page again with the cookie, a new websocket whose first run is the page
    signed in. The one place the benches know how sign-in works."""
    token = await asyncio.to_thread(session_cookie, session.base_url, username, password)
    session.cookies[SESSION_COOKIE] = token
    await session.ws.close()
    await session.__aenter__()
    return await session.open()
