"""`terminology lint`: each kind of mistake a reviewer could make names the file, the entry and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from safeguard.terminology.cli import terminology_cli


@pytest.fixture(scope="module")
def runner() -> FlaskCliRunner:
    """A runner for the lint command alone: it reads only the folder it is given, so no database is needed."""
    return Flask(__name__).test_cli_runner()


def item(items: list[dict], ident: str) -> dict:
    """The entry of ``items`` with this id."""
    return next(entry for entry in items if entry.get("id") == ident)


def category(data: dict, ident: str) -> dict:
    """The category (or group) of categories.yaml with this id."""
    return item([entry for group in data["groups"] for entry in (group, *group["categories"])], ident)


def answer(data: dict, step: str, ident: str) -> dict:
    """An answer of a protocol's step."""
    return item(item(data["steps"], step)["answers"], ident)


def lint(runner: FlaskCliRunner, folder: Path) -> list[str]:
    """Run the lint command on the copy; it must fail. Returns the lines it printed."""
    result = runner.invoke(terminology_cli, ["lint", str(folder.parent)])
    assert result.exit_code == 1, result.output
    return result.output.splitlines()


MISSING_FIELD = [
    (
        "meta.yaml",
        lambda d: d.pop("version"),
        "en-GB/meta.yaml: meta: version: is required",
    ),
    (
        "categories.yaml",
        lambda d: category(d, "child-on-child-bullying").pop("definition"),
        "en-GB/categories.yaml: child-on-child-bullying: definition: is required",
    ),
    (
        "categories.yaml",
        lambda d: category(d, "online-csam").update(guidance="  "),
        "en-GB/categories.yaml: online-csam: guidance: is required when sensitive_imagery is true",
    ),
    (
        "terms.yaml",
        lambda d: item(d["terms"], "child-prostitute").pop("reason"),
        "en-GB/terms.yaml: child-prostitute: reason: is required",
    ),
    (
        "agencies.yaml",
        lambda d: item(d["agencies"], "ceop").update(address=None),
        "en-GB/agencies.yaml: ceop: address: is required",
    ),
    (
        "protocols/csam.yaml",
        lambda d: item(d["steps"], "device-secured").pop("text"),
        "en-GB/protocols/csam.yaml: device-secured: text: is required",
    ),
    (
        "protocols/csam.yaml",
        lambda d: answer(d, "police", "reported")["requires_action"].pop("urgency"),
        "en-GB/protocols/csam.yaml: police: requires_action: urgency is required (answer 'reported')",
    ),
    (
        "protocols/missing-child.yaml",
        lambda d: item(d["steps"], "recorded").pop("answers"),
        "en-GB/protocols/missing-child.yaml: recorded: answers: must list the fixed answers",
    ),
]

WRONG_TYPE = [
    (
        "meta.yaml",
        lambda d: d.update(sources=["KCSIE", "WT"]),
        "en-GB/meta.yaml: meta: sources: must be a mapping",
    ),
    (
        "categories.yaml",
        lambda d: category(d, "abuse-neglect").update(urgent_by_default="yes"),
        "en-GB/categories.yaml: abuse-neglect: urgent_by_default: must be true or false",
    ),
    (
        "categories.yaml",
        lambda d: category(d, "abuse-domestic").update(id="Domestic Abuse"),
        "en-GB/categories.yaml: Domestic Abuse: id: must be a slug: lower-case letters, digits and hyphens",
    ),
    (
        "terms.yaml",
        lambda d: item(d["terms"], "child-pornography").update(variants="child porn"),
        "en-GB/terms.yaml: child-pornography: variants: must be a list",
    ),
    (
        "terms.yaml",
        lambda d: item(d["terms"], "child-pornography").update(reason=["It implies consent."]),
        "en-GB/terms.yaml: child-pornography: reason: must be text",
    ),
    (
        "agencies.yaml",
        lambda d: item(d["agencies"], "childline").update(checked=20261101),
        "en-GB/agencies.yaml: childline: checked: must be a date (YYYY-MM-DD)",
    ),
    (
        "protocols/sharing-nudes.yaml",
        lambda d: item(d["steps"], "coercion").update(kind="quiz"),
        "en-GB/protocols/sharing-nudes.yaml: coercion: kind: must be question, check, decision or info",
    ),
    (
        "protocols/missing-child.yaml",
        lambda d: answer(d, "police", "not-called").update(needs_reason="yes"),
        "en-GB/protocols/missing-child.yaml: police: needs_reason: must be true or false (answer 'not-called')",
    ),
]

UNKNOWN_KEY = [
    (
        "meta.yaml",
        lambda d: d.update(licence="OGL"),
        "en-GB/meta.yaml: meta: licence: is not a known field",
    ),
    (
        "categories.yaml",
        lambda d: category(d, "online-grooming").update(urgent=True),
        "en-GB/categories.yaml: online-grooming: urgent: is not a known field",
    ),
    (
        "terms.yaml",
        lambda d: item(d["terms"], "child-abuse-images").update(prefered=["child sexual abuse material"]),
        "en-GB/terms.yaml: child-abuse-images: prefered: is not a known field",
    ),
    (
        "agencies.yaml",
        lambda d: item(d["agencies"], "iwf").update(phone="01223 20 30 30"),
        "en-GB/agencies.yaml: iwf: phone: is not a known field",
    ),
    (
        "protocols/missing-child.yaml",
        lambda d: item(d["steps"], "police")["applies_when"].update(answer="not-reached"),
        "en-GB/protocols/missing-child.yaml: police: applies_when: answer is not a known field",
    ),
]

BAD_REFERENCE = [
    (
        "meta.yaml",
        lambda d: d.update(locale="en-US"),
        "en-GB/meta.yaml: meta: locale: says 'en-US' but the folder is 'en-GB'",
    ),
    (
        "categories.yaml",
        lambda d: category(d, "online-grooming").update(id="abuse-sexual"),
        "en-GB/categories.yaml: abuse-sexual: id: is a duplicate id",
    ),
    (
        "terms.yaml",
        lambda d: item(d["terms"], "child-abuse-images")["variants"].append("kiddie porn"),
        "en-GB/terms.yaml: child-abuse-images: variants: 'kiddie porn' is already a form of 'child-pornography'",
    ),
    (
        "agencies.yaml",
        lambda d: item(d["agencies"], "inhope").update(id="iwf"),
        "en-GB/agencies.yaml: iwf: id: is a duplicate id",
    ),
    (
        "protocols/csam.yaml",
        lambda d: d.update(categories=["online-csam", "online-child-pornography"]),
        "en-GB/protocols/csam.yaml: (protocol): categories: 'online-child-pornography' is not a category",
    ),
    (
        "protocols/csam.yaml",
        lambda d: d.update(id="sharing-nudes"),
        "en-GB/protocols/sharing-nudes.yaml: (protocol): id: 'sharing-nudes' is used by another protocol",
    ),
    (
        "protocols/missing-child.yaml",
        lambda d: item(d["steps"], "police")["applies_when"].update(answer_in=["not-reached", "unknown"]),
        "en-GB/protocols/missing-child.yaml: police: applies_when: 'parents-contacted' has no answer 'unknown'",
    ),
    (
        "protocols/missing-child.yaml",
        lambda d: answer(d, "police", "called")["requires_action"].update(targets=["police", "agency:mi5"]),
        "en-GB/protocols/missing-child.yaml: police: requires_action: unknown agency 'mi5'",
    ),
    (
        "protocols/missing-child.yaml",
        lambda d: answer(d, "police", "called")["requires_action"].update(targets=["coastguard"]),
        "en-GB/protocols/missing-child.yaml: police: requires_action: unknown referral target 'coastguard'",
    ),
]


@pytest.mark.parametrize(
    ("file", "change", "line"),
    [
        *[pytest.param(*case, id=f"missing-{case[0]}") for case in MISSING_FIELD],
        *[pytest.param(*case, id=f"type-{case[0]}") for case in WRONG_TYPE],
        *[pytest.param(*case, id=f"unknown-{case[0]}") for case in UNKNOWN_KEY],
        *[pytest.param(*case, id=f"reference-{case[0]}") for case in BAD_REFERENCE],
    ],
)
def test_each_mistake_names_the_file_the_entry_and_the_field(runner, broken, file, change, line):
    lines = lint(runner, broken(file, change))
    assert any(printed.startswith(line) for printed in lines), lines


def test_an_entry_without_an_id_is_named_by_its_position(runner, broken):
    broken("terms.yaml", lambda d: d["terms"].append({"term": "child porn star", "severity": "avoid"}))
    folder = broken("categories.yaml", lambda d: d["groups"][2]["categories"].append("online-gaming"))
    lines = lint(runner, folder)
    assert "en-GB/terms.yaml: term 30: id: is required" in lines
    assert "en-GB/terms.yaml: term 30: preferred: is required" in lines
    assert "en-GB/categories.yaml: online category 9: (entry): must be a mapping" in lines


def test_every_problem_in_every_file_is_printed_at_once(runner, broken):
    broken("meta.yaml", lambda d: d.pop("locale"))
    broken("agencies.yaml", lambda d: item(d["agencies"], "childline").update(colour="blue"))
    broken("protocols/csam.yaml", lambda d: item(d["steps"], "police").update(required="sometimes"))
    folder = broken("terms.yaml", lambda d: item(d["terms"], "child-pornography").update(severity="banned"))
    lines = lint(runner, folder)
    assert lines == [
        "en-GB/meta.yaml: meta: locale: is required",
        "en-GB/terms.yaml: child-pornography: severity: must be avoid or caution",
        "en-GB/agencies.yaml: childline: colour: is not a known field",
        "en-GB/protocols/csam.yaml: police: required: must be true or false",
    ]


def test_a_file_that_is_not_valid_yaml_or_is_missing(runner, broken, tmp_path):
    folder = broken("agencies.yaml", lambda d: None)
    (folder / "agencies.yaml").unlink()
    (folder / "protocols" / "csam.yaml").write_text("id: [csam\n", encoding="utf-8")
    lines = lint(runner, folder)
    assert "en-GB/agencies.yaml: (file): (file): the file is missing" in lines
    assert any(line.startswith("en-GB/protocols/csam.yaml: (file): (file): not valid YAML") for line in lines)
