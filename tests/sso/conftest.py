"""A real OpenID Connect provider on this machine (the npm package oidc-provider, run by node from tests/oidc/), reached
through a small proxy that a test can tell to tamper with what passes: the ID token in the token response, or the
nonce in the authorisation request.

``npm ci --prefix tests/oidc`` installs the provider (CI does). Without node or the package the tests are skipped, and
fail under SAFEGUARD_STRICT_TESTS=1.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from safeguard.auth import oidc
from safeguard.core.extensions import db
from tests.conftest import unavailable

PROVIDER = Path(__file__).resolve().parent.parent / "oidc"
CLIENT_ID = "safeguard"
CLIENT_SECRET = "client-secret-for-tests-only"

# The provider's accounts, by login: who they are, and how they authenticated there (amr).
ACCOUNTS = {
    "teacher": {"email": "staff@oak.example", "amr": ["pwd"]},
    "dsl": {"email": "dsl@oak.example", "amr": ["pwd"]},
    "dsl-mfa": {"email": "dsl@oak.example", "amr": ["pwd", "mfa"]},
    "newcomer": {"email": "new.teacher@oak.example", "amr": ["pwd"]},
    "outsider": {"email": "someone@elsewhere.example", "amr": ["pwd"]},
    "unverified": {"email": "head@oak.example", "email_verified": False, "amr": ["pwd"]},
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tampered(id_token: str) -> str:
    """The ID token with its payload changed (the e-mail of another person) and its signature kept."""
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["email"] = "dsl@oak.example"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@dataclass
class Proxy:
    """Forwards to the provider; ``mode`` is "" (pass everything), "tamper" or "nonce"."""

    port: int
    upstream: int
    mode: str = ""
    errors: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = field(default=None, repr=False)

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                path = self.path
                if proxy.mode == "nonce" and path.startswith("/auth?"):
                    path = re.sub(r"nonce=[^&]*", "nonce=forged-nonce", path)
                connection = http.client.HTTPConnection("127.0.0.1", proxy.upstream, timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                headers["Host"] = f"127.0.0.1:{proxy.port}"
                connection.request(self.command, path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
                if proxy.mode == "tamper" and path.startswith("/token") and answer.status == 200:
                    tokens = json.loads(data)
                    tokens["id_token"] = _tampered(tokens["id_token"])
                    data = json.dumps(tokens).encode()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "keep-alive"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                connection.close()

            def _safely(self) -> None:
                try:
                    self._forward()
                except Exception as error:
                    proxy.errors.append(f"{self.command} {self.path}: {error!r}")
                    raise

            do_GET = do_POST = _safely

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class ProviderServer:
    """The provider as Safeguard knows it (its row) and the proxy in front of the node process."""

    provider_id: int
    issuer: str
    proxy: Proxy

    def sign_in(self, client, login: str, *, callback: str | None = None):
        """Sign in through the provider as ``login``, as a browser would; the app's answer to the callback and the
        callback's address (to replay it)."""
        if callback is None:
            callback = self.callback_for(client, login)
        return client.get(callback.replace("http://localhost", "")), callback

    def callback_for(self, client, login: str) -> str:
        """Go through the provider's sign-in as ``login``; the callback address it sends the browser back to."""
        start = client.get(f"/auth/sso/{self.provider_id}")
        assert start.status_code == 302, start.status_code
        browser = requests.Session()
        answer = browser.get(start.headers["Location"], allow_redirects=False)
        answer = browser.get(urljoin(self.issuer, answer.headers["Location"]), allow_redirects=False)
        uid = re.search(r"/interaction/([\w-]+)/login", answer.text).group(1)
        answer = browser.post(f"{self.issuer}/interaction/{uid}/login", data={"login": login}, allow_redirects=False)
        location = answer.headers["Location"]
        while not location.startswith("http://localhost"):
            answer = browser.get(urljoin(self.issuer, location), allow_redirects=False)
            location = answer.headers["Location"]
        return location


@pytest.fixture
def provider_server(app, school, tmp_path):
    """Oakfield's provider: accepted domain oak.example, no accounts made at sign-in, its MFA not accepted (tests
    change the row to try the other settings)."""
    node = shutil.which("node")
    if node is None or not (PROVIDER / "node_modules" / "oidc-provider").is_dir():
        unavailable("node and the npm package oidc-provider (npm ci --prefix tests/oidc)")
    node_port, proxy_port = _free_port(), _free_port()
    issuer = f"http://127.0.0.1:{proxy_port}"
    found = oidc.add_provider(
        {
            "name": "Oakfield 365",
            "school_id": school.school.id,
            "issuer": issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "allowed_domains": "oak.example",
            "provision_staff": False,
            "accept_provider_mfa": False,
        }
    )
    db.session.commit()
    config = {
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"http://localhost/auth/sso/{found.id}/callback"],
            }
        ],
        "accounts": ACCOUNTS,
    }
    log = tmp_path / "oidc-provider.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [node, str(PROVIDER / "provider.mjs"), str(node_port), issuer, json.dumps(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 20
    while "listening" not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if "listening" not in log.read_text():
        process.kill()
        pytest.fail("the OpenID Connect provider did not start: " + log.read_text())
    proxy = Proxy(proxy_port, node_port)
    proxy.start()
    yield ProviderServer(found.id, issuer, proxy)
    proxy.stop()
    process.terminate()
    process.wait(timeout=10)
