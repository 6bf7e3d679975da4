"""Two instances of the app on this machine, each with its own database, served on its own port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.serving import make_server

from safeguard.core.extensions import db
from tests import factories
from tests.conftest import Database, base_config


class Served:
    """An app served over HTTP on 127.0.0.1 in a background thread."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


@dataclass
class Instance:
    """One school's Safeguard: its app, its address, its school and staff."""

    app: Flask
    served: Served
    staff: factories.SchoolWithStaff

    @property
    def url(self) -> str:
        return self.served.url


@pytest.fixture
def second_database(database, tmp_path_factory) -> Iterator[str]:
    """A database of its own for the second instance (on PostgreSQL, another database on the same server)."""
    if not database.postgres:
        yield database.fresh()
        return
    other = Database(tmp_path_factory.mktemp("second"))
    yield other.url
    other.drop()


@pytest.fixture
def instances(app, school, make_app, second_database, tmp_path) -> Iterator[tuple[Instance, Instance]]:
    """School A (Oakfield, the test's own app) and school B (Elmwood, a second app and database), both served."""
    b_app = make_app(base_config(second_database, tmp_path / "b"))
    with b_app.app_context():
        b_staff = factories.school_with_staff("ELM", "Elmwood Academy")
        db.session.expunge_all()
    a = Instance(app, Served(app), school)
    b = Instance(b_app, Served(b_app), b_staff)
    app.config["BASE_URL"], b_app.config["BASE_URL"] = a.url, b.url
    yield a, b
    a.served.stop()
    b.served.stop()
    with b_app.app_context():
        db.session.remove()
