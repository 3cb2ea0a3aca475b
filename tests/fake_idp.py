"""A minimal OpenID Connect provider on localhost, standing in for a county's unified identity
platform in the browser test: discovery, an authorize endpoint that signs the configured person in
at once (no form), a token endpoint returning an RS256 id_token, and its JWKS. Test-only."""
from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlencode, urlparse

from contextlib import contextmanager
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "dashboard"


@contextmanager
def identity_provider(claims: dict[str, Any]) -> Iterator[str]:
    """Runs the provider; yields its base URL. Whoever comes to /authorize is `claims`."""
    key = RSAKey.generate_key(2048, parameters={"kid": "test-key"}, private=True)
    codes: dict[str, str] = {}  # code -> nonce

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _json(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json({"issuer": base, "authorization_endpoint": f"{base}/authorize",
                            "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/jwks",
                            "response_types_supported": ["code"], "subject_types_supported": ["public"],
                            "id_token_signing_alg_values_supported": ["RS256"]})
            elif url.path == "/jwks":
                self._json({"keys": [key.as_dict(private=False)]})
            elif url.path == "/authorize":
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                code = secrets.token_urlsafe(16)
                codes[code] = q.get("nonce", "")
                self.send_response(302)
                self.send_header("Location", f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}")
                self.end_headers()
            else:
                self.send_error(404)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlparse(self.path).path != "/token" or form.get("code") not in codes:
                self.send_error(400)
                return
            now = int(time.time())
            id_token = jwt.encode({"alg": "RS256", "kid": "test-key"},
                                  {"iss": base, "aud": CLIENT_ID, "iat": now, "exp": now + 600,
                                   "nonce": codes.pop(form["code"]), **claims}, key)
            self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 600,
                        "id_token": id_token, "scope": "openid email profile"})

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        httpd.shutdown()
        httpd.server_close()


def secrets_toml(idp: str, app_port: int) -> str:
    return (f'[auth]\nredirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(16)}"\nclient_id = "{CLIENT_ID}"\nclient_secret = "test"\n'
            f'server_metadata_url = "{idp}/.well-known/openid-configuration"\n')
