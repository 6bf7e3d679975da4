"""Printing: the print stylesheet carries the school's protective marking, safely quoted, on every page."""

from __future__ import annotations

from safeguard.core.extensions import db
from safeguard.core.formatting import css_string


def test_the_print_stylesheet_carries_the_schools_marking(client, school, sign_in):
    assert 'content: "OFFICIAL-SENSITIVE"' in client.get("/print.css").get_data(as_text=True)  # before signing in
    school.school.protective_marking = "OFFICIAL-SENSITIVE PERSONAL"
    db.session.commit()
    sign_in(school.dsl)
    response = client.get("/print.css")
    assert response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert css.count('content: "OFFICIAL-SENSITIVE PERSONAL"') == 2  # at the head and the foot of every page
    assert 'counter(page) " of " counter(pages)' in css


def test_every_page_links_the_print_stylesheet_and_a_marking_line(client, school, sign_in):
    sign_in(school.dsl)
    page = client.get("/concerns/").get_data(as_text=True)
    assert 'rel="stylesheet" media="print" href="/print.css"' in page
    assert 'class="print-only print-marking">OFFICIAL-SENSITIVE · Oakfield Primary School · printed' in page


def test_a_marking_cannot_break_out_of_its_css_string():
    assert css_string("OFFICIAL") == '"OFFICIAL"'
    hostile = css_string('x"; } body { display: none } @page { content: "\\\n</style>')
    assert hostile.count('"') == 2 and "\n" not in hostile and "<" not in hostile and "\\5c " in hostile
