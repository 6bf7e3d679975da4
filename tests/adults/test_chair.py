"""The chair of governors: logs a concern about a child like any member of staff, sees nothing of the children's
records, and their role is named on the reports of what they logged."""

from __future__ import annotations

from safeguard.core.extensions import db
from safeguard.exports import services as exports
from tests import factories


def test_a_concern_the_chair_logged_is_exported_with_their_role(client, school, sign_in):
    amira = factories.pupil(school.school, "Amira", "Haddad")
    concern = factories.concern(school.chair, [amira])
    exported = exports.export_concern(concern, school.dsl, "Referral to children's social care")
    assert exported.pdf.startswith(b"%PDF")
    db.session.commit()
    sign_in(school.chair)
    assert client.get(f"/concerns/{concern.id}").status_code == 200  # their own, as the reporter
    assert client.get(f"/pupils/{amira.id}").status_code == 403
    assert client.get("/concerns/").status_code == 403
