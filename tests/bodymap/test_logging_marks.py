"""Marks recorded with a concern as it is logged, and added later: the form with and without JavaScript's help."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from safeguard.bodymap.models import BodyMark
from safeguard.concerns.models import Attachment, Concern, ConcernEvent
from tests import factories


def _png() -> bytes:
    """A real (small) PNG: a damaged one would be refused for that alone."""
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 180, 160)).save(out, "PNG")
    return out.getvalue()


PNG = _png()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _form(pupil, **overrides):
    data = {
        "immediate_danger": "no",
        "observed_when": "earlier",
        "observed_at": "2026-11-23T09:30",
        "location": "Year 6 classroom",
        "categories": ["abuse-physical"],
        "account": 'At registration Amira had a bruise on her arm. She said "Dad grabbed me".',
        "already_done": "Listened and told her I would share it with the DSL.",
        "pupils-0-pupil_id": str(pupil.id),
        "pupils-0-part": "subject",
    }
    data.update(overrides)
    return data


def _mark(index: int, prefix: str = "marks", **values):
    return {f"{prefix}-{index}-{key}": value for key, value in values.items()}


def test_the_form_offers_the_body_map_and_repeats_the_imagery_rule(client, school, pupils, sign_in):
    sign_in(school.staff)
    page = client.get(f"/concerns/new?pupil={pupils[0].id}").get_data(as_text=True)
    assert "Never photograph a child's injuries" in page
    # Every outline, and the list of regions for keyboard and screen-reader users (and for no JavaScript).
    for label in ("Front", "Back", "Left side", "Right side", "Head and face"):
        assert f'<figcaption class="small text-center">{label}</figcaption>' in page
    assert 'name="marks-0-region"' in page and '<option value="forearm">Forearm</option>' in page
    assert 'name="marks-0-side"' in page


def test_marks_chosen_from_the_list_are_logged_with_the_concern(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    marks = _mark(
        0,
        region="forearm",
        side="left",
        kind="bruise",
        length_cm="3",
        width_cm="2,5",
        shape="Oval",
        colour="Purple",
        child_words='"Dad grabbed me"',
    ) | _mark(1, region="chest", kind="scratch", length_cm="4 cm", colour="Red", seen_at="2026-11-23T09:00")
    response = factories.submit_form(client, "/concerns/new", _form(pupils[0], **marks), form_url="/concerns/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The body map holds 2 marks: Left forearm, Chest." in confirmation
    concern = db.session.scalar(select(Concern))
    stored = db.session.scalars(select(BodyMark).order_by(BodyMark.id)).all()
    assert [(m.region_label, m.kind, m.length_cm, m.width_cm) for m in stored] == [
        ("Left forearm", "bruise", 3.0, 2.5),
        ("Chest", "scratch", 4.0, None),
    ]
    first, second = stored
    assert (first.pupil_id, first.concern_id, first.recorded_by_id) == (pupils[0].id, concern.id, school.staff.id)
    # Chosen from the list: drawn at the region's centre on the front, the child's left being the viewer's right.
    assert first.view == "front" and first.x > 0.5 and not first.placed_on_outline
    # When it was seen: when the concern happened unless the person said (London is on GMT in November).
    assert first.seen_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert second.seen_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    logged = db.session.scalar(select(ConcernEvent).where(ConcernEvent.kind == "logged"))
    assert first.event_id == logged.id and "body map: 2 marks" in logged.summary


def test_a_mark_placed_on_the_outline_keeps_its_place_and_its_region_is_read_from_it(
    client, school, pupils, sign_in, db
):
    sign_in(school.staff)
    # A tap on the back of the viewer's left forearm: on the back outline that is the child's left.
    marks = _mark(0, view="back", x="0.22", y="0.45", kind="burn", length_cm="1", shape="Round", colour="Red")
    response = factories.submit_form(client, "/concerns/new", _form(pupils[0], **marks), form_url="/concerns/new")
    assert response.status_code == 302
    mark = db.session.scalar(select(BodyMark))
    assert (mark.region_id, mark.side, mark.region_label) == ("forearm", "left", "Left forearm")
    assert (mark.view, mark.x, mark.y, mark.placed_on_outline) == ("back", 0.22, 0.45, True)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"region": "forearm", "kind": "bruise", "length_cm": "3"}, "Mark 1: say which side of the body"),
        ({"region": "chest", "length_cm": "3"}, "Mark 1: choose what kind of mark it is."),
        ({"region": "chest", "kind": "bruise"}, "Mark 1: give its length in centimetres"),
        ({"region": "chest", "kind": "bruise", "length_cm": "lots"}, "as a number of centimetres"),
        ({"region": "chest", "kind": "other", "length_cm": "2"}, "describe the mark in “Shape”"),
        ({"region": "elbow-of-doom", "kind": "bruise", "length_cm": "2"}, "choose the part of the body from the list"),
        ({"view": "front", "x": "0.02", "y": "0.02", "kind": "cut", "length_cm": "1"}, "the place tapped is not on"),
        ({"kind": "cut", "length_cm": "1"}, "Mark 1: choose the part of the body from the list."),
    ],
)
def test_a_mark_missing_something_is_refused_with_a_clear_message_and_nothing_is_saved(
    client, school, pupils, sign_in, db, values, message
):
    sign_in(school.staff)
    response = factories.submit_form(
        client, "/concerns/new", _form(pupils[0], **_mark(0, **values)), form_url="/concerns/new"
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0
    assert db.session.scalar(select(func.count()).select_from(BodyMark)) == 0


def test_without_javascript_another_mark_row_is_added_and_what_was_typed_kept(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    data = _form(pupils[0], **_mark(0, region="knee", side="right", kind="bruise", length_cm="2"), add_mark="Add")
    response = factories.submit_form(client, "/concerns/new", data, form_url="/concerns/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="marks-1-region"' in page and 'value="2"' in page
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0


def test_an_image_attached_with_a_body_map_is_refused(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    data = _form(pupils[0], **_mark(0, region="chest", kind="bruise", length_cm="3"))
    data["attachments"] = [(io.BytesIO(PNG), "injury.png")]
    response = factories.submit_form(client, "/concerns/new", data, form_url="/concerns/new")
    assert response.status_code == 400
    assert "staff never photograph a child&#39;s injuries" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0
    # A document is still accepted with a body map, and an image without one.
    data["attachments"] = [(io.BytesIO(PDF), "letter.pdf")]
    assert factories.submit_form(client, "/concerns/new", data, form_url="/concerns/new").status_code == 302
    plain = _form(pupils[0])
    plain["attachments"] = [(io.BytesIO(PNG), "scan.png")]
    assert factories.submit_form(client, "/concerns/new", plain, form_url="/concerns/new").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 2


def test_an_addendum_adds_a_mark_in_a_new_entry_and_leaves_the_first_ones_alone(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    data = _form(pupils[0], **_mark(0, region="forearm", side="left", kind="bruise", length_cm="3"))
    factories.submit_form(client, "/concerns/new", data, form_url="/concerns/new")
    concern = db.session.scalar(select(Concern))
    page_url = f"/concerns/{concern.id}"
    assert "Left forearm" in client.get(page_url).get_data(as_text=True)
    added = _mark(0, "marks-marks", region="shoulder", side="right", kind="bruise", length_cm="2", colour="Yellowing")
    added["marks-note"] = "Seen at PE, two days later."
    response = factories.submit_form(client, f"{page_url}/body-map", added, form_url=page_url, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The marks have been added to the body map" in page
    assert "Right shoulder" in page and "Left forearm" in page
    marks = db.session.scalars(select(BodyMark).order_by(BodyMark.id)).all()
    assert [m.region_label for m in marks] == ["Left forearm", "Right shoulder"]
    entry = db.session.get(ConcernEvent, marks[1].event_id)
    assert entry.kind == "addendum" and entry.summary.startswith("Body map: 1 mark added by")
    assert entry.text == "Seen at PE, two days later." and entry.visible_to_reporter
    # The DSL sees both, numbered in the order recorded.
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    sign_in(school.dsl)
    dsl_page = client.get(page_url).get_data(as_text=True)
    assert dsl_page.index("Left forearm") < dsl_page.index("Right shoulder")


def test_adding_nothing_to_the_body_map_is_refused(client, school, pupils, sign_in, db):
    concern = factories.concern(school.staff, [pupils[0]])
    sign_in(school.dsl)
    url = f"/concerns/{concern.id}"
    response = factories.submit_form(client, f"{url}/body-map", {"marks-note": "Nothing"}, form_url=url)
    assert response.status_code == 400
    assert "Place a mark on the body map" in response.get_data(as_text=True)


def test_someone_who_may_not_add_information_cannot_add_marks(client, school, pupils, sign_in, db):
    concern = factories.concern(school.dsl, [pupils[0]])
    other = factories.user(school.school, "staff", email="other@oak.example")
    db.session.commit()
    sign_in(school.staff)
    token = factories.csrf_token(client, "/concerns/new")
    response = client.post(f"/concerns/{concern.id}/body-map", data={"csrf_token": token})
    assert response.status_code == 404
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    sign_in(other)
    assert client.get(f"/concerns/{concern.id}").status_code == 404


def test_the_database_refuses_to_change_or_delete_a_mark(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    data = _form(pupils[0], **_mark(0, region="chest", kind="bruise", length_cm="3"))
    factories.submit_form(client, "/concerns/new", data, form_url="/concerns/new")
    for statement in ("UPDATE body_marks SET length_cm = 1", "DELETE FROM body_marks"):
        with pytest.raises(DatabaseError):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.scalar(select(BodyMark.length_cm)) == 3.0


def test_the_outline_endpoint_reads_a_tap_and_places_a_region(client, school, sign_in):
    sign_in(school.staff)
    tap = client.get("/body-map/where?view=front&x=0.22&y=0.45").get_json()
    assert (tap["region"], tap["side"], tap["label"]) == ("forearm", "right", "Right forearm")
    off = client.get("/body-map/where?view=front&x=0.02&y=0.02").get_json()
    assert off == {"region": None}
    chosen = client.get("/body-map/where?region=ear&side=left").get_json()
    assert chosen["view"] == "front" and chosen["x"] > 0.5
    assert client.get("/body-map/where?view=front&x=nonsense&y=").get_json() == {"region": None}


@pytest.mark.parametrize(
    "values",
    [
        {"view": "front", "x": "nan", "y": "inf", "region": "chest", "kind": "bruise", "length_cm": "3"},
        {"view": "<svg>", "x": "1e309", "y": "-0", "region": "chest", "kind": "bruise", "length_cm": "3"},
        {"region": "chest", "kind": "bruise", "length_cm": "3", "pupil_id": "99999999999999999999"},
        {"region": "chest", "kind": "bruise", "length_cm": "3", "width_cm": "1" * 5000},
        {"region": "chest", "kind": "bruise", "length_cm": "3", "seen_at": "yesterday"},
        {"region": "chest", "kind": "bruise", "length_cm": "3", "side": "both"},
    ],
)
def test_hostile_values_never_make_a_server_error(client, school, pupils, sign_in, db, values):
    sign_in(school.staff)
    response = factories.submit_form(
        client, "/concerns/new", _form(pupils[0], **_mark(0, **values)), form_url="/concerns/new"
    )
    assert response.status_code in (302, 400)
    for mark in db.session.scalars(select(BodyMark)):
        # What was saved is drawn on an outline, inside it.
        assert mark.view in ("front", "back", "left", "right", "head") and 0 <= mark.x <= 1 and 0 <= mark.y <= 1


def test_more_marks_than_a_form_holds_are_refused_never_cut_short(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    rows = {}
    for index in range(40):
        rows |= _mark(index, region="chest", kind="bruise", length_cm="1")
    response = factories.submit_form(client, "/concerns/new", _form(pupils[0], **rows), form_url="/concerns/new")
    assert response.status_code == 400
    assert "Record at most 30 marks at a time." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(BodyMark)) == 0


def test_the_reporter_sees_the_marks_they_recorded_and_the_dsl_sees_every_mark(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    data = _form(pupils[0], **_mark(0, region="forearm", side="left", kind="bruise", length_cm="3"))
    factories.submit_form(client, "/concerns/new", data, form_url="/concerns/new")
    concern = db.session.scalar(select(Concern))
    from safeguard.bodymap.services import NewMark
    from safeguard.concerns import services

    services.add_marks(concern, school.dsl, [NewMark(region_id="thigh", side="right", kind="bruise", length_cm="6")])
    db.session.commit()
    reporter_page = client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert "Left forearm" in reporter_page and "Right thigh" not in reporter_page
    # The editor is drawn when asked for (its link), not on every view of the concern.
    assert f'href="/concerns/{concern.id}?add=marks#add-marks"' in reporter_page
    assert "data-mark-number" not in reporter_page
    adding = client.get(f"/concerns/{concern.id}?add=marks").get_data(as_text=True)
    # A mark the reporter adds is numbered as on the concern, after the DSL's: its row, and any message, say "Mark 3".
    assert '<legend class="h6">Mark <span data-mark-number>3</span></legend>' in adding
    bad = _mark(0, "marks-marks", region="knee", kind="bruise", length_cm="1")
    response = factories.submit_form(
        client, f"/concerns/{concern.id}/body-map", bad, form_url=f"/concerns/{concern.id}?add=marks"
    )
    assert response.status_code == 400 and "Mark 3: say which side of the body" in response.get_data(as_text=True)
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    sign_in(school.dsl)
    dsl_page = client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert "Left forearm" in dsl_page and "Right thigh" in dsl_page
