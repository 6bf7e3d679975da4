""" "Use this term" keeps the sentence whole: real sentences, the replacement a teacher would write, or none at all.

Each row is a sentence as staff write it, the preferred term offered, and the sentence after "use this term" — or
``None`` where no form of the preferred term fits as the sentence stands, so that nothing is offered and the writer
is told to rewrite it. A broken sentence ("she was sharing nudes and semi-nudes an older boy") is never offered.
"""

from __future__ import annotations

import pytest

from safeguard.terminology import check_text
from safeguard.terminology.loader import VocabularyError, load_vocabulary

NUDES = "sharing nudes and semi-nudes"
EXPLOITED = "child who is being sexually exploited"
AT_RISK = "the child is at risk of exploitation"
CSAM = "child sexual abuse material"

SENTENCES = [
    # The sentence, and the verb's other forms: an object gets "with", a time or a place does not.
    ("She was sexting an older boy.", NUDES, "She was sharing nudes and semi-nudes with an older boy."),
    ("she was sexting an older boy", NUDES, "she was sharing nudes and semi-nudes with an older boy"),
    ("She admitted sexting him last night.", NUDES, "She admitted sharing nudes and semi-nudes with him last night."),
    ("He was caught sexting a Year 7 girl.", NUDES, "He was caught sharing nudes and semi-nudes with a Year 7 girl."),
    ("She said she had been sexting Jake.", NUDES, "She said she had been sharing nudes and semi-nudes with Jake."),
    ("They were sexting each other.", NUDES, "They were sharing nudes and semi-nudes with each other."),
    (
        "She had been sexting with a man she met online.",
        NUDES,
        "She had been sharing nudes and semi-nudes with a man she met online.",
    ),
    ("They were sexting this morning.", NUDES, "They were sharing nudes and semi-nudes this morning."),
    ("The boys were sexting after school.", NUDES, "The boys were sharing nudes and semi-nudes after school."),
    ("She was sexting late at night.", NUDES, "She was sharing nudes and semi-nudes late at night."),
    ("She had sexted him twice.", NUDES, "She had shared nudes and semi-nudes with him twice."),
    ("He asked her to sext him.", NUDES, "He asked her to share nudes and semi-nudes with him."),
    ("Amira sexts him every night.", NUDES, "Amira shares nudes and semi-nudes with him every night."),
    # The noun stays a noun, at the start of a sentence with its capital.
    ("Sexting is common in Year 9.", NUDES, "Sharing nudes and semi-nudes is common in Year 9."),
    ("Sexting him was a mistake.", NUDES, "Sharing nudes and semi-nudes with him was a mistake."),
    ("She is worried about sexting.", NUDES, "She is worried about sharing nudes and semi-nudes."),
    ("She sent a sext to a boy in Year 9.", NUDES, "She sent a nude or semi-nude image to a boy in Year 9."),
    ("He sends sexts to girls.", NUDES, "He sends nude or semi-nude images to girls."),
    # No form fits: said, not broken.
    ("He sexted her a picture.", NUDES, None),
    ("He was sexting year 10 boys.", NUDES, None),
    # Nouns: plurals, "a" and "an", a mass noun that takes no article.
    (
        "He was found with child pornography on his laptop.",
        CSAM,
        "He was found with child sexual abuse material on his laptop.",
    ),
    (
        "She was described as a child prostitute.",
        EXPLOITED,
        "She was described as a child who is being sexually exploited.",
    ),
    ("They were child prostitutes.", EXPLOITED, "They were children who are being sexually exploited."),
    ("Police spoke of child prostitution in the area.", EXPLOITED, None),
    (
        "Police spoke of child prostitution in the area.",
        "sexual exploitation of children in prostitution",
        "Police spoke of sexual exploitation of children in prostitution in the area.",
    ),
    ("It was an underage relationship.", "sexual abuse of a child", "It was sexual abuse of a child."),
    ("An honour killing was reported.", 'so-called "honour"-based abuse', 'A so-called "honour" killing was reported.'),
    ("Two paedophiles were arrested.", "child sex offender", "Two child sex offenders were arrested."),
    ("The paedophile's phone was seized.", "child sex offender", None),
    ("A domestic violence incident was reported.", "domestic abuse", "A domestic abuse incident was reported."),
    ("A female circumcision case was discussed.", "female genital mutilation (FGM)", "An FGM case was discussed."),
    ("A child porn video was shared.", CSAM, None),
    (
        "Her boyfriend, who is 24, collects her from school.",
        "the adult",
        "The adult, who is 24, collects her from school.",
    ),
    ("She has a boyfriend aged 24.", "the adult", None),
    # Verbs and predicates that blame the child, in the tense they were written.
    ("He said she was prostituting herself.", EXPLOITED, "He said she was being sexually exploited."),
    ("She prostituted herself for money.", EXPLOITED, "She was sexually exploited for money."),
    ("She has been selling herself for money.", EXPLOITED, "She has been sexually exploited for money."),
    (
        "She was prostituted by her uncle.",
        "sexual exploitation of children in prostitution",
        "She was sexually exploited by her uncle.",
    ),
    (
        "She is promiscuous, according to the older boys.",
        "the child is being sexually exploited",
        "She is being sexually exploited, according to the older boys.",
    ),
    ("She's promiscuous.", "the child is being sexually exploited", "She's being sexually exploited."),
    ("She has slept around.", "the child is being sexually exploited", "She has been sexually exploited."),
    ("She sleeps around.", "the child is being sexually exploited", "She is being sexually exploited."),
    ("Her promiscuous behaviour worries staff.", "the child is being sexually exploited", None),
    (
        "He is putting himself at risk by going out at night.",
        AT_RISK,
        "He is at risk of exploitation by going out at night.",
    ),
    ("She put herself at risk.", AT_RISK, "She was at risk of exploitation."),
    ("She will put herself at risk.", AT_RISK, "She will be at risk of exploitation."),
    ("She had put herself at risk.", AT_RISK, "She had been at risk of exploitation."),
    ("She puts herself at risk every weekend.", AT_RISK, "She is at risk of exploitation every weekend."),
    ("He is streetwise.", AT_RISK, "He is at risk of exploitation."),
    ("He is very streetwise for his age.", AT_RISK, None),
    (
        "He was sextorted by someone online.",
        "sexual extortion of children",
        "He was sexually extorted by someone online.",
    ),
    (
        "He was plugging.",
        "child forced to conceal drugs internally",
        "He was being forced to conceal drugs internally.",
    ),
    ("The boy was plugging drugs for the group.", "child forced to conceal drugs internally", None),
    ("She is just attention seeking.", "seeking help", "She is just seeking help."),
    ("Her attention-seeking behaviour is escalating.", "seeking help", None),
    (
        "He is involved in gangs.",
        "child who is being exploited by an organised crime group",
        "He is being exploited by an organised crime group.",
    ),
    # A clause cannot stand in a word's place.
    ("The relationship was consensual, he claimed.", "the adult sexually abused the child", None),
]


def _replaced(sentence: str, preferred: str) -> str | None:
    (finding,) = check_text(sentence)
    (replacement,) = [r for r in finding.replacements() if r.preferred == preferred]
    if replacement.text is None:
        assert (replacement.start, replacement.end) == (finding.start, finding.end)
        return None
    assert sentence[replacement.start : replacement.end] == replacement.original
    return sentence[: replacement.start] + replacement.text + sentence[replacement.end :]


@pytest.mark.parametrize(("sentence", "preferred", "expected"), SENTENCES)
def test_use_this_term_fits_the_sentence_or_is_not_offered(sentence, preferred, expected):
    assert _replaced(sentence, preferred) == expected


def test_every_replacement_offered_leaves_no_term_to_avoid():
    for sentence, _, expected in SENTENCES:
        if expected is not None:
            assert [f.text for f in check_text(expected) if f.severity == "avoid"] == [], sentence


def test_the_api_sends_each_replacement_with_its_span(client, school, sign_in):
    sign_in(school.staff)
    token = (
        client.get("/terminology/check").get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    )
    response = client.post(
        "/terminology/api/check", json={"text": "She was sexting an older boy."}, headers={"X-CSRFToken": token}
    )
    (finding,) = response.get_json()["findings"]
    assert finding["replacements"] == [
        {"preferred": NUDES, "start": 8, "end": 15, "original": "sexting", "text": "sharing nudes and semi-nudes with"}
    ]


@pytest.mark.parametrize(
    ("use", "message"),
    [
        ({"forms": ["child porn video"], "as": "mass", "say": CSAM}, "'child porn video' is not a form of the term"),
        ({"forms": ["child porn"], "as": "noun", "say": CSAM}, "as: must be count, mass"),
        ({"forms": ["child porn"], "as": "mass", "say": "kiddie porn"}, "'kiddie porn' is itself a term to avoid"),
        ({"forms": ["child porn"], "as": "mass", "say": CSAM, "object": "with"}, "object is for a verb"),
        (
            {"forms": ["child porn"], "as": "mass", "say": CSAM, "preferred": "CSAM"},
            "is not one of the term's preferred",
        ),
    ],
)
def test_a_use_that_does_not_suit_its_term_is_named_by_the_lint(broken, use, message):
    folder = broken("terms.yaml", lambda data: data["terms"][0]["uses"].append(use))
    with pytest.raises(VocabularyError) as raised:
        load_vocabulary(folder)
    assert any(p.startswith("terms.yaml: child-pornography") and message in p for p in raised.value.problems), (
        raised.value.problems
    )
