"""The API driven over HTTP: the test app served on 127.0.0.1, tokens made as an administrator makes them."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.serving import make_server

from safeguard.api import services
from safeguard.api.scopes import Scope
from safeguard.core.extensions import db


@dataclass
class Answer:
    """An answer of the API."""

    status: int
    headers: Any
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def media_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0]


class Api:
    """Calls the served app over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> Answer:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        sent = {"Content-Type": content_type} if data is not None else {}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=sent)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (our own test server)
                return Answer(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.headers, error.read())


class Served:
    """The test app served over HTTP in a background thread."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


@pytest.fixture
def api(app) -> Iterator[Api]:
    """The API of this test's app, over HTTP."""
    served = Served(app)
    yield Api(served.url)
    served.stop()


@pytest.fixture
def make_token(app):
    """Make a token for a school, as an administrator would; returns its text."""

    def _make(school, *scopes: Scope, days: int = 30) -> str:
        made = services.create_token(school, "Test system", list(scopes) or list(Scope), days, None)
        db.session.commit()
        return made.token

    return _make


def alert_body(**changes: Any) -> dict[str, Any]:
    """A good alert, with ``changes``."""
    body = {
        "vendor": "Smoothwall",
        "event_id": "evt-1",
        "occurred_at": "2026-11-30T10:15:00Z",
        "username": "jsmith15",
        "category": "Self-harm",
        "severity": 4,
        "excerpt": "how many tablets would it take",
        "link": "https://console.smoothwall.example/events/evt-1",
    }
    body.update(changes)
    return body
