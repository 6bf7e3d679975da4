"""The vocabulary files: validated at start-up and by `terminology lint`, with errors naming file, entry and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safeguard import create_app
from safeguard.terminology import VocabularyError, clear_cache, get_vocabulary, vocabulary_root
from safeguard.terminology.loader import load_vocabulary
from tests import factories

SOURCE = Path(__file__).resolve().parents[2] / "terminology"


def test_the_shipped_vocabulary_is_complete():
    vocabulary = get_vocabulary()
    assert vocabulary.version
    ids = set(vocabulary.categories)
    for required in (
        "abuse-sexual",
        "online-sharing-nudes",
        "online-csam",
        "exploitation-cce",
        "honour-based-abuse-fgm",
        "attendance-family-missing-from-school",
        "concerns-about-adults-staff-allegation",
    ):
        assert required in ids
    imagery = {c.id for c in vocabulary.leaves if c.sensitive_imagery}
    assert {"online-csam", "online-sharing-nudes", "online-sexual-extortion"} <= imagery
    assert all(c.guidance for c in vocabulary.leaves if c.sensitive_imagery)
    assert vocabulary.category("honour-based-abuse-fgm").urgent_by_default
    assert {a.id for a in vocabulary.agencies} >= {
        "ceop",
        "iwf",
        "ncmec-cybertipline",
        "cybertip-ca",
        "inhope",
        "childline",
    }
    assert all(c.source for c in vocabulary.categories.values()) and all(t.source for t in vocabulary.terms)


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        (
            "categories.yaml",
            lambda d: d["groups"][0]["categories"].append(dict(d["groups"][0]["categories"][0])),
            "categories.yaml: abuse-physical: id: is a duplicate id",
        ),
        (
            "categories.yaml",
            lambda d: d["groups"][0]["categories"][0].update(parent="nowhere"),
            "categories.yaml: abuse-physical: parent: names 'nowhere', an unknown parent category",
        ),
        (
            "categories.yaml",
            lambda d: d["groups"][0]["categories"][0].pop("source"),
            "categories.yaml: abuse-physical: source: is required",
        ),
        (
            "terms.yaml",
            lambda d: d["terms"][0].update(preferred=[]),
            "terms.yaml: child-pornography: preferred: must list at least one preferred alternative",
        ),
        (
            "terms.yaml",
            lambda d: d["terms"][0].update(preferred=["kiddie porn"]),
            "terms.yaml: child-pornography: preferred: 'kiddie porn' is itself a term to avoid",
        ),
        (
            "terms.yaml",
            lambda d: d["terms"][1].update(id="child-pornography"),
            "terms.yaml: child-pornography: id: is a duplicate id",
        ),
        (
            "terms.yaml",
            lambda d: d["terms"][0].update(severity="banned"),
            "terms.yaml: child-pornography: severity: must be avoid or caution",
        ),
        (
            "agencies.yaml",
            lambda d: d["agencies"][0].update(checked="last week"),
            "agencies.yaml: police-emergency: checked: must be a date",
        ),
        (
            "agencies.yaml",
            lambda d: d["agencies"][0].update(source="XYZ"),
            "agencies.yaml: police-emergency: source: cites 'XYZ', which meta.yaml does not define",
        ),
    ],
)
def test_broken_files_give_clear_errors(broken, file, change, message):
    folder = broken(file, change)
    with pytest.raises(VocabularyError) as caught:
        load_vocabulary(folder)
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


def test_lint_command(runner, broken):
    result = runner.invoke(args=["terminology", "lint"])
    assert result.exit_code == 0 and "valid" in result.output
    folder = broken("terms.yaml", lambda d: d["terms"][0].update(preferred=[]))
    result = runner.invoke(args=["terminology", "lint", str(folder.parent)])
    assert result.exit_code == 1
    assert "en-GB/terms.yaml: child-pornography: preferred:" in result.output


def test_the_app_refuses_to_start_on_an_invalid_vocabulary(broken, app_config):
    folder = broken("terms.yaml", lambda d: d["terms"][0].update(severity="banned"))
    clear_cache()
    try:
        with pytest.raises(VocabularyError, match="severity"):
            create_app({**app_config, "TERMINOLOGY_DIR": str(folder.parent)})
    finally:
        clear_cache()


def test_check_command_exit_codes_and_json(runner, tmp_path):
    text = tmp_path / "narrative.txt"
    text.write_text('He showed her child porn. She said "sexting is normal". They were sexting.', encoding="utf-8")
    result = runner.invoke(args=["terminology", "check", str(text), "--json"])
    assert result.exit_code == 1
    findings = json.loads(result.output)
    assert [(f["text"], f["severity"]) for f in findings] == [("child porn", "avoid"), ("sexting", "caution")]
    assert set(findings[0]) == {"start", "end", "text", "preferred", "severity", "reason", "replacements"}
    clean = tmp_path / "clean.txt"
    clean.write_text("They were sexting.", encoding="utf-8")
    assert runner.invoke(args=["terminology", "check", str(clean)]).exit_code == 0
    assert runner.invoke(args=["terminology", "check", "-"], input="child porn").exit_code == 1
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Zo\xeb".encode("latin-1"))
    result = runner.invoke(args=["terminology", "check", str(latin1)])
    assert result.exit_code == 2 and "not UTF-8" in result.output
    assert runner.invoke(args=["terminology", "check", str(tmp_path / "nope.txt")]).exit_code == 2


def test_api_needs_sign_in_and_csrf_and_refuses_bad_input(client, school, sign_in):
    assert client.post("/terminology/api/check", json={"text": "child porn"}).status_code in (302, 400)
    sign_in(school.staff)
    token = factories.csrf_token(client, "/")
    assert client.post("/terminology/api/check", json={"text": "child porn"}).status_code == 400  # no token
    headers = {"X-CSRFToken": token}
    response = client.post("/terminology/api/check", json={"text": "He showed child porn."}, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["version"] == get_vocabulary().version and body["findings"][0]["text"] == "child porn"
    for bad in ({"text": 5}, {"words": "x"}, [1, 2], {"text": "x" * 60_000}):
        assert client.post("/terminology/api/check", json=bad, headers=headers).status_code == 400
    response = client.post(
        "/terminology/api/check", data="{not json", headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    # Nested a hundred thousand deep, or far larger than any text it may hold: a clear 400, never a server error.
    for body in ("[" * 100_000, '{"text": "' + "x" * 400_000 + '"}'):
        response = client.post(
            "/terminology/api/check", data=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 400 and "Send JSON" in response.get_json()["error"]


def test_check_page_without_javascript(client, school, sign_in):
    sign_in(school.staff)
    response = factories.submit_form(client, "/terminology/check", {"text": "He showed child porn."})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "child sexual abuse material" in page and "give the reason below" in page
    response = factories.submit_form(
        client, "/terminology/check", {"text": "He showed child porn.", "kept_reason": "Quoting the charge"}
    )
    assert response.status_code == 200
    response = factories.submit_form(client, "/terminology/check", {"text": "Sharing nudes and semi-nudes."})
    assert "No terms to avoid" in response.get_data(as_text=True)


def test_vocabulary_root_is_the_project_folder():
    assert vocabulary_root().resolve() == SOURCE.resolve()
