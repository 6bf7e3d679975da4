"""The body map's vocabulary: checked by `terminology lint` like every vocabulary file, and read the same way by the
outlines' taps and the list."""

from __future__ import annotations

import pytest
from flask import Flask

from safeguard.terminology import get_vocabulary
from safeguard.terminology.cli import terminology_cli
from tests.terminology.conftest import broken  # noqa: F401 (a fixture)
from tests.terminology.test_lint import item


def _lint(folder) -> list[str]:
    result = Flask(__name__).test_cli_runner().invoke(terminology_cli, ["lint", str(folder.parent)])
    assert result.exit_code == 1, result.output
    return result.output.splitlines()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: item(d["regions"], "forearm")["boxes"].update(front=[30, 40, 20, 51]), "forearm: boxes: must be"),
        (lambda d: item(d["regions"], "chest")["boxes"].update(elbow=[1, 2, 3, 4]), "chest: boxes: elbow"),
        (lambda d: item(d["regions"], "chest").update(sided="yes"), "chest: sided: must be true or false"),
        (lambda d: item(d["regions"], "knee").update(id="chest"), "chest: id: is a duplicate id"),
        (lambda d: d["kinds"].pop(), "(file): kinds: must include the kind 'other'"),
        (lambda d: d["views"].pop(), "(file): views: must list every outline"),
        (lambda d: item(d["regions"], "hip").pop("label"), "hip: label: is required"),
    ],
)
def test_a_mistake_in_the_body_map_names_the_file_the_entry_and_the_field(broken, change, message):  # noqa: F811
    lines = _lint(broken("body-map.yaml", change))
    assert any(line.startswith("en-GB/body-map.yaml: ") and message in line for line in lines), lines


def test_every_region_is_found_where_the_list_draws_it(app):
    """A region chosen from the list is drawn at its box's centre; a tap there reads the same region and side."""
    body_map = get_vocabulary().body_map
    for region in body_map.regions.values():
        for side in ("left", "right") if region.sided else (None,):
            view, x, y = body_map.place(region, side)
            found = body_map.region_at(view, x, y)
            assert found is not None and (found[0].id, found[1]) == (region.id, side), (region.id, side, view)


def test_a_side_is_the_childs_own_on_every_outline(app):
    body_map = get_vocabulary().body_map
    # The child's left forearm: on the viewer's right from the front, on the viewer's left from the back.
    assert body_map.region_at("front", 0.78, 0.45)[1] == "left"
    assert body_map.region_at("back", 0.22, 0.45)[1] == "left"
    assert body_map.region_at("left", 0.5, 0.45) == (body_map.regions["forearm"], "left")
    assert body_map.region_at("right", 0.5, 0.45) == (body_map.regions["forearm"], "right")
    assert body_map.regions["upper-arm"].named("right") == "Right upper arm"
    assert body_map.regions["chest"].named(None) == "Chest"
