"""The framework's own ceiling: a bare Flask app whose one route answers as Safeguard's ``/health`` does.

The trust benchmark serves it with gunicorn beside Safeguard, in the same worker model, and takes each page's share
of its requests per second: what Flask and gunicorn cost with nothing of Safeguard's on top (no extensions, session,
signed-in person, database or security headers).
"""

from __future__ import annotations

from flask import Flask


def create_app() -> Flask:
    """A Flask app with one route, ``/health``, returning the same JSON as Safeguard's."""
    app = Flask(__name__)

    @app.route("/health")
    def health():
        """What Safeguard's health check answers while no worker runs (as in the benchmark): its status, and the
        readiness field monitoring reads. A constant here; Safeguard reads the worker's heartbeat to say it."""
        return {"status": "ok", "readiness": {"worker": "not running", "worker_last_heartbeat": None}}

    return app
