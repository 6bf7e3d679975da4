"""The correct-terminology checker: a table of sentences with the findings a DSL would expect."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeguard.terminology import check_text, get_vocabulary, quoted_spans, wording_problems

# (sentence, [(flagged words, severity), ...]) — flagged words exactly as they appear in the sentence.
CASES = [
    # Terms to avoid, and their variants.
    ("He was found with child pornography on his laptop.", [("child pornography", "avoid")]),
    ("Images of child porn were shared.", [("child porn", "avoid")]),
    ("The police found CHILD-PORNOGRAPHY on the device.", [("CHILD-PORNOGRAPHY", "avoid")]),
    ("He called it kiddie porn.", [("kiddie porn", "avoid")]),
    ("kiddy porn was mentioned by the older boys", [("kiddy porn", "avoid")]),
    ("There were child pornographic images on the tablet.", [("child pornographic images", "avoid")]),
    ("A deepfake child porn video circulated.", [("deepfake child porn", "avoid")]),
    ("Computer-generated child pornography was found.", [("Computer-generated child pornography", "avoid")]),
    ("She was described as a child prostitute.", [("child prostitute", "avoid")]),
    ("Police spoke of child prostitution in the area.", [("child prostitution", "avoid")]),
    ("He said she was prostituting herself.", [("prostituting herself", "avoid")]),
    ("A teen prostitute was mentioned in the report.", [("teen prostitute", "avoid")]),
    ("She has been selling herself for money.", [("selling herself", "avoid")]),
    ("The article mentioned child sex tourism.", [("child sex tourism", "avoid")]),
    ("They talked about revenge porn on social media.", [("revenge porn", "avoid")]),
    ("He was called a nonce in the corridor.", [("nonce", "avoid")]),
    ("This was underage sex with an adult.", [("underage sex", "avoid")]),
    ("She is promiscuous, according to the older boys.", [("promiscuous", "avoid")]),
    ("He is putting himself at risk by going out at night.", [("putting himself at risk", "avoid")]),
    ("She is placing herself at risk with older men.", [("placing herself at risk", "avoid")]),
    ("His risk-taking behaviour is escalating.", [("risk-taking behaviour", "avoid")]),
    ("Her risk taking behavior continues.", [("risk taking behavior", "avoid")]),
    ("It seems a lifestyle choice.", [("lifestyle choice", "avoid")]),
    ("He is very streetwise for his age.", [("streetwise", "avoid")]),
    ("The boy was plugging drugs for the group.", [("plugging", "avoid")]),
    ("She is just attention seeking.", [("attention seeking", "avoid")]),
    ("Staff think this is attention-seeking.", [("attention-seeking", "avoid")]),
    ("Her aunt spoke about female circumcision.", [("female circumcision", "avoid")]),
    ("The photos were called jailbait online.", [("jailbait", "avoid")]),
    ("He called her a lolita.", [("lolita", "avoid")]),
    # Use with caution.
    ("The boys were sexting after school.", [("sexting", "caution")]),
    ("She sent a sext to a boy in Year 9.", [("sext", "caution")]),
    ("This is a case of sextortion.", [("sextortion", "caution")]),
    ("He was sextorted by someone online.", [("sextorted", "caution")]),
    ("An incident of peer on peer abuse.", [("peer on peer abuse", "caution")]),
    ("An incident of peer-on-peer abuse.", [("peer-on-peer abuse", "caution")]),
    ("Youth produced sexual imagery was shared.", [("Youth produced sexual imagery", "caution")]),
    ("A known paedophile lives nearby.", [("paedophile", "caution")]),
    ("A known pedophile lives nearby.", [("pedophile", "caution")]),
    ("They said paedophiles use the game chat.", [("paedophiles", "caution")]),
    ("Mum's ex called him a paedo.", [("paedo", "caution")]),
    ("The relationship was consensual, he claimed.", [("consensual", "caution")]),
    ("She consented, according to the man.", [("consented", "caution")]),
    ("Her boyfriend, who is 24, collects her from school.", [("boyfriend", "caution")]),
    ("Her older boyfriend buys her phones.", [("older boyfriend", "caution")]),
    ("He is a drug runner for the older boys.", [("drug runner", "caution")]),
    ("He acted as a money mule.", [("money mule", "caution")]),
    ("Police described him as a gang member.", [("gang member", "caution")]),
    ("She is sexually active with an adult.", [("sexually active", "caution")]),
    ("There was domestic violence at home.", [("domestic violence", "caution")]),
    ("It was described as honour based violence.", [("honour based violence", "caution")]),
    ("An honour killing was reported in the news.", [("honour killing", "caution")]),
    ("The images are child abuse images.", [("child abuse images", "caution")]),
    # Several in one sentence, overlaps resolved longest first.
    (
        "He called her a child prostitute and showed child pornography.",
        [("child prostitute", "avoid"), ("child pornography", "avoid")],
    ),
    (
        "Deepfake child pornography, not just child porn.",
        [("Deepfake child pornography", "avoid"), ("child porn", "avoid")],
    ),
    ("Sexting and revenge porn between pupils.", [("Sexting", "caution"), ("revenge porn", "avoid")]),
    # Quoted speech is never flagged: straight and curly, single and double.
    ('She said "he showed me child porn on his phone".', []),
    ("She said “he called me a child prostitute”.", []),
    ("She said 'my boyfriend is 25' and laughed.", []),
    ("He said ‘the nonce next door’ and ran off.", []),
    ("Amira said \"I'm not attention seeking, it's real\".", []),
    ('The child said "sexting" is normal. Staff noted sexting in the group.', [("sexting", "caution")]),
    ("She said 'I don't want kiddie porn on my phone' and cried.", []),
    # Correct terms are never flagged.
    ("Child sexual abuse material was found on the device.", []),
    ("The device held indecent images of children.", []),
    ("This is sexual exploitation of children in prostitution.", []),
    ("Sexual exploitation of children in the context of travel and tourism.", []),
    ("The DSL recorded sexual extortion of children.", []),
    ("An incident of sharing nudes and semi-nudes.", []),
    ("This is child-on-child abuse.", []),
    ("He is a child sex offender.", []),
    ("Concerns about county lines and child criminal exploitation.", []),
    ("Risk of female genital mutilation.", []),
    ("So-called honour-based abuse and forced marriage.", []),
    ("Domestic abuse at home was disclosed.", []),
    # Innocent words that look close are never flagged.
    ("The child was shown adult pornography by an older cousin.", []),
    ("Parents signed the consent form for the trip.", []),
    ("We have parental consent to share information.", []),
    ("The CP meeting is on Tuesday.", []),
    ("Relationships and sex education lesson in Year 8.", []),
    ("A complaint of sex discrimination was made.", []),
    ("Mum's partner picks him up on Fridays.", []),
    ("She is a keen cross-country runner.", []),
    ("The girls' toilets were locked.", []),
    ("He plugged his phone in to charge it.", []),
    ("Nonetheless, the child was calm.", []),
    ("She finished the assignment on attention and memory.", []),
    ("The child's drawing showed a gangway on a ship.", []),
    ("", []),
]


@pytest.mark.parametrize(("sentence", "expected"), CASES, ids=[c[0][:40] or "empty" for c in CASES])
def test_sentence_table(sentence, expected):
    findings = check_text(sentence)
    assert [(f.text, f.severity) for f in findings] == expected
    for finding in findings:
        assert sentence[finding.start : finding.end] == finding.text
        assert finding.preferred and finding.reason


def test_the_table_is_large_enough():
    assert len(CASES) >= 80


def test_findings_carry_preferred_terms_reason_and_source():
    [finding] = check_text("He was found with child pornography.")
    assert finding.preferred == ["child sexual abuse material", "indecent images of children"]
    assert "consent" in finding.reason
    assert "LUX" in finding.source
    assert set(finding.to_dict()) == {"start", "end", "text", "preferred", "severity", "reason", "replacements"}


def test_no_preferred_term_is_itself_flagged_as_avoid():
    vocabulary = get_vocabulary()
    for term in vocabulary.terms:
        for preferred in term.preferred:
            assert not [f for f in check_text(preferred) if f.severity == "avoid"], preferred


def test_wording_gate():
    assert wording_problems("He showed me child porn.", None)
    assert wording_problems("He showed me child porn.", "  ") != []
    assert wording_problems("He showed me child porn.", "Quoting the charge sheet") == []
    assert wording_problems("The boys were sexting.", None) == []  # caution never blocks
    assert wording_problems('She said "child porn".', None) == []


def test_quoted_spans_ignore_apostrophes():
    text = "The girls' toilets; she said 'it's fine' and 'ok'. Don't."
    spans = [text[a:b] for a, b in quoted_spans(text)]
    assert spans == ["'it's fine'", "'ok'"]


def test_an_unclosed_quotation_runs_to_the_end_of_its_paragraph():
    text = 'She said "he showed me child porn\n\nLater a child porn image was found.'
    assert [f.start for f in check_text(text)] == [text.rindex("child porn")]


@given(st.text(max_size=400))
def test_the_checker_never_raises_and_spans_lie_inside_the_text(text):
    for finding in check_text(text):
        assert 0 <= finding.start < finding.end <= len(text)
        assert text[finding.start : finding.end] == finding.text


@given(
    st.lists(
        st.sampled_from(
            ["child porn", "sexting", " ", "\n", '"', "'", "“", "”", "prostitution", "the", "x-", "—", "İ"]
        ),
        max_size=40,
    ).map("".join)
)
def test_the_checker_is_consistent_on_adversarial_mixtures(text):
    findings = check_text(text)
    assert findings == check_text(text)  # deterministic
    assert all(f.severity in ("avoid", "caution") for f in findings)
