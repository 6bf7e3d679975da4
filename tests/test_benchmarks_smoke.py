"""The benchmark's data set loader at a tiny scale: the numbers it reports are about the data set it claims."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from benchmarks import dataset


def test_tiny_trust_loads_with_the_promised_shape_and_skew(tmp_path):
    """BENCH_SCALE=0.01 on SQLite: counts, unique references, 1–12 events a concern and a child with ~200."""
    url = f"sqlite:///{tmp_path / 'trust.sqlite'}"
    built = dataset.build(url, 0.01, progress=False)

    scale = dataset.Scale(0.01)
    assert built.counts["schools"] == scale.schools
    assert built.counts["pupils"] == scale.schools * scale.pupils_per_school
    assert built.counts["concerns"] == scale.schools * scale.concerns_per_school
    # About four events a concern, as at full scale (1,000,000 for 250,000).
    assert 3 * built.counts["concerns"] < built.counts["concern_events"] < 5 * built.counts["concerns"]

    per_child = dataset.concern_counts_per_pupil(url)
    assert per_child[0] >= dataset.HOT_CHILD_CONCERNS  # the child whose chronology is measured
    assert per_child[len(per_child) // 2] <= 5  # most children with a concern have only a few

    engine = create_engine(url)
    with engine.connect() as connection:
        duplicates = connection.execute(
            text("SELECT count(*) FROM (SELECT school_id, reference FROM concerns GROUP BY 1, 2 HAVING count(*) > 1)")
        ).scalar_one()
        events = connection.execute(
            text("SELECT min(n), max(n) FROM (SELECT count(*) AS n FROM concern_events GROUP BY concern_id)")
        ).one()
        first_kinds = (
            connection.execute(
                text(
                    "SELECT DISTINCT kind FROM concern_events e WHERE e.id = "
                    "(SELECT min(id) FROM concern_events f WHERE f.concern_id = e.concern_id)"
                )
            )
            .scalars()
            .all()
        )
        # As in a school running Safeguard, where an unacknowledged concern escalates within hours: only the last
        # fortnight's concerns may still be new, and some are.
        still_new = connection.execute(
            text("SELECT min(logged_at) FROM concerns WHERE status = 'new'"),
        ).scalar_one()
        sequence_ok = connection.execute(
            text(
                "SELECT count(*) FROM concern_sequences s WHERE s.last_number < (SELECT count(*) FROM concerns c "
                "WHERE c.school_id = s.school_id AND c.reference LIKE '%-' || s.year || '-%')"
            )
        ).scalar_one()
    engine.dispose()
    assert duplicates == 0
    assert events[0] >= 1 and events[1] <= 12
    assert first_kinds == ["logged"]
    assert still_new is not None
    assert str(dataset.NOW - dataset.STILL_NEW_WITHIN) <= str(still_new)
    assert sequence_ok == 0  # a concern logged after the load gets a new reference, never a taken one


def test_the_benchmark_can_sign_in_as_the_known_dsl(tmp_path):
    """The known DSL of school 1 signs in through the real form on the loaded data set and sees the queue."""
    from safeguard import create_app

    url = f"sqlite:///{tmp_path / 'trust.sqlite'}"
    built = dataset.build(url, 0.01, progress=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False, "TESTING": True})
    client = app.test_client()
    response = client.post("/auth/sign-in", data={"email": built.dsl_email, "password": dataset.BENCH_PASSWORD})
    assert response.headers["Location"] == "/auth/two-factor"  # DSLs give a second factor
    response = client.post("/auth/two-factor", data={"code": dataset.totp_code()})
    assert response.status_code in (302, 303)
    queue = client.get("/concerns/")
    assert queue.status_code == 200
    assert b"TAA-" in queue.data


def test_the_benchmark_signs_in_as_the_trust_lead_and_sees_every_school(tmp_path):
    """The trust lead of the data set signs in and reads the trust dashboard of every school (the figure the bench
    measures at 50 schools)."""
    from safeguard import create_app

    url = f"sqlite:///{tmp_path / 'trust.sqlite'}"
    dataset.build(url, 0.01, progress=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False, "TESTING": True})
    client = app.test_client()
    client.post("/auth/sign-in", data={"email": dataset.TRUST_LEAD_EMAIL, "password": dataset.BENCH_PASSWORD})
    response = client.post("/auth/two-factor", data={"code": dataset.totp_code()})
    assert response.status_code in (302, 303)
    page = client.get("/trust/?days=365")
    assert page.status_code == 200
    schools = dataset.Scale(0.01).schools
    assert page.get_data(as_text=True).count('<th scope="row">') >= schools
