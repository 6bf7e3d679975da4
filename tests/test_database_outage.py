"""While the database cannot be reached, pages answer a 503 that says when to try again, never a bare 500.

The outage is real, not mocked: a second app, sharing the first one's secret key (so the signed-in person's session
cookie is valid there), is pointed at a database that cannot be reached.
"""

from __future__ import annotations

import pytest

UNREACHABLE = {
    # Nothing listens on the discard port: the connection is refused at once.
    "postgresql": "postgresql+psycopg://safeguard@127.0.0.1:9/safeguard",
    # A file in a folder that does not exist cannot be opened.
    "sqlite": "sqlite:////nonexistent-folder-for-safeguard-tests/safeguard.sqlite",
}


@pytest.mark.parametrize("backend", sorted(UNREACHABLE))
def test_pages_answer_503_with_retry_after_while_the_database_is_down(backend, app, client, school, sign_in, make_app):
    sign_in(school.dsl)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    kept = ("TESTING", "SECRET_KEY", "INSTANCE_PATH", "UPLOAD_FOLDER", "RATELIMIT_ENABLED", "MAIL_HOST", "MAIL_PORT")
    down = make_app({**{key: app.config[key] for key in kept}, "SQLALCHEMY_DATABASE_URI": UNREACHABLE[backend]})
    visitor = down.test_client()
    visitor.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value)

    for path in ("/concerns/", "/concerns/new", f"/pupils/{school.dsl.school_id}"):
        response = visitor.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
        assert "Safeguard is briefly unavailable" in page
        assert "Nothing already saved has been lost" in page
        assert "Traceback" not in page and "OperationalError" not in page

    # The working app and its records are untouched: the DSL's queue still opens there.
    assert client.get("/concerns/").status_code == 200
