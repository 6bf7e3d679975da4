"""Writing a preferred term in place of a flagged one so that the sentence still reads.

"She was sexting an older boy" must become "She was sharing nudes and semi-nudes with an older boy", not "…sharing
nudes and semi-nudes an older boy". The vocabulary says how each preferred term is written in place of each form of
a term (a term's ``uses`` in terms.yaml). This module reads the words around the flagged form to choose the use that
fits there, puts the right article before a noun ("a", "an", or none before an uncountable one), adds the
preposition a verb's object needs, and writes a capital where the sentence begins.

It reads a few words either side, not the grammar of the whole sentence, so it is cautious: when no use fits the
words around the form, or it cannot tell (is the next word the verb's object?), it offers no replacement and says
so, and the writer rewrites the sentence. A broken sentence in a child's record is worse than a hint to rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from safeguard.terminology.model import Term, Use

_WORD = re.compile(r"[^\W_](?:[\w'’-]*[^\W_])?")
# Where a clause ends: the words on either side of these do not belong together.
_BREAK = re.compile(r"[.!?;:,()\[\]{}\"“”«»\n–—]")
_LOOK = 160  # how far either side to look for the neighbouring words

_BE = {"am", "is", "are", "was", "were", "isn't", "aren't", "wasn't", "weren't", "isnt", "wasnt"}
_BEEN = {"be", "been", "being"}
_HAVE = {"has", "have", "had", "hasn't", "haven't", "hadn't", "having"}
_MODALS = {
    "to", "will", "would", "can", "could", "should", "shall", "may", "might", "must", "did", "didn't", "do",
    "don't", "does", "doesn't", "won't", "can't", "cannot", "couldn't", "wouldn't", "shouldn't", "mustn't",
}  # fmt: skip
_PERSONAL = {"i", "you", "he", "she", "we", "they", "it"}
_DEFINITE = {"the", "his", "her", "their", "my", "your", "our", "its", "this", "that"}
_THIRD_PERSON = {"he", "she", "it", "who", "that", "which", "this"}
_DETERMINERS = {
    "a", "an", "the", "his", "her", "their", "my", "your", "our", "its", "this", "that", "these", "those", "some",
    "any", "no", "each", "every", "another",
}  # fmt: skip
_PREPOSITIONS = {
    "of", "about", "for", "in", "on", "with", "from", "by", "into", "onto", "against", "regarding", "over", "after",
    "before", "during", "without", "via", "through", "at", "around", "like", "re", "towards", "toward", "under",
    "than", "as", "to", "between", "among", "across", "near",
}  # fmt: skip
_CONJUNCTIONS = {"and", "or", "but", "so", "because", "when", "while", "until", "since", "then", "if", "although"}
# Words that make an adjective or a verb stronger: "very streetwise" cannot become "very at risk of exploitation".
_DEGREE = {"very", "quite", "really", "too", "extremely", "rather", "fairly", "pretty", "incredibly", "more", "most"}
# Words that may stand between a subject or "is" and the verb or predicate without changing what fits there.
_SKIPPED = {
    "not", "also", "still", "now", "just", "already", "allegedly", "apparently", "possibly", "probably", "clearly",
    "reportedly", "repeatedly", "often", "sometimes", "always", "never", "ever", "even", "only", "again", "actually",
    "openly", "secretly", "regularly", "constantly",
}  # fmt: skip
# After a verb, words that begin its object ("sexting him", "an older boy", "strangers", a name).
_OBJECTS = _DETERMINERS - {"no"} | {
    "him", "them", "me", "us", "you", "someone", "somebody", "anyone", "anybody", "everyone", "everybody", "people",
    "strangers", "others", "one", "boys", "girls", "men", "women", "adults", "friends", "classmates", "pupils",
    "children", "kids", "lads", "students", "other", "older", "younger", "several", "many", "two", "three",
    "various", "random", "multiple",
}  # fmt: skip
_PRONOUN_OBJECTS = {"him", "her", "them", "me", "us", "you"}
# After a determiner, words that make a time rather than an object ("sexting this morning", "a lot").
_TIMES = {
    "morning", "afternoon", "evening", "night", "week", "weekend", "term", "year", "day", "days", "time", "times",
    "lot", "bit", "while", "month", "summer", "holiday", "holidays", "lunchtime", "break", "moment",
}  # fmt: skip
# After a verb, words that are not its object.
_NOT_OBJECTS = (
    _PREPOSITIONS
    | _CONJUNCTIONS
    | _BE
    | _HAVE
    | _MODALS
    | _SKIPPED
    | _DEGREE
    | {
        "today", "yesterday", "tonight", "online", "late", "early", "all", "every", "last", "home", "outside",
        "there", "here", "recently", "anyway", "either", "back", "first", "together", "which", "who", "that",
    }
)  # fmt: skip
# Nouns another noun describes: "a revenge porn video" needs a word that stands before a noun.
_DESCRIBED = {
    "image", "images", "picture", "pictures", "photo", "photos", "video", "videos", "clip", "clips", "site",
    "sites", "website", "websites", "file", "files", "material", "content", "link", "links", "app", "apps",
    "account", "accounts", "case", "cases", "incident", "incidents", "offence", "offences", "concern", "concerns",
    "referral", "referrals", "allegation", "allegations", "victim", "victims", "perpetrator", "perpetrators",
    "behaviour", "behavior", "ring", "group", "chat",
}  # fmt: skip
_VERB_KINDS = {"ing", "past", "present", "base"}


@dataclass(frozen=True)
class Replacement:
    """What to write for one preferred term in place of a flagged form: ``text`` replaces the checked text from
    ``start`` to ``end`` (which may take in the article before the form), or is ``None`` when no way of writing the
    preferred term fits the sentence as it stands."""

    preferred: str
    start: int
    end: int
    # The checked text's words from start to end: a replacement is made only while they are still there.
    original: str
    text: str | None

    def to_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "preferred": self.preferred,
            "start": self.start,
            "end": self.end,
            "original": self.original,
            "text": self.text,
        }


@dataclass(frozen=True)
class _Word:
    text: str  # lower case, with a straight apostrophe
    start: int
    end: int
    capital: bool


@dataclass(frozen=True)
class _Context:
    """The flagged span and the words of its clause either side (nearest first)."""

    text: str
    start: int
    end: int
    suffix: str  # the plural or possessive ending matched after the form ("s", "es", "'s"), or ""
    before: list[_Word]
    after: list[_Word]
    verbs: bool  # whether the term has a verb use for this form (then an object after it means a verb)

    @property
    def adjacent(self) -> _Word | None:
        """The word right before the span, with nothing but spaces between."""
        if self.before and not self.text[self.before[0].end : self.start].strip():
            return self.before[0]
        return None

    def leading(self) -> tuple[_Word | None, bool]:
        """The nearest word before the span that is not an adverb like "not" or "also", and whether a word like
        "very" stood in between."""
        degree = False
        for word in self.before:
            if word.text in _DEGREE:
                degree = True
            elif word.text not in _SKIPPED and not (word.text.endswith("ly") and len(word.text) > 4):
                return word, degree
        return None, degree


def _words(text: str, offset: int) -> list[_Word]:
    return [
        _Word(m.group().lower().replace("’", "'"), offset + m.start(), offset + m.end(), m.group()[0].isupper())
        for m in _WORD.finditer(text)
    ]


def _clause_before(text: str, start: int) -> list[_Word]:
    low = max(0, start - _LOOK)
    segment = text[low:start]
    breaks = [m.end() for m in _BREAK.finditer(segment)]
    cut = breaks[-1] if breaks else 0
    return list(reversed(_words(segment[cut:], low + cut)))[:5]


def _clause_after(text: str, end: int) -> list[_Word]:
    segment = text[end : end + _LOOK]
    found = _BREAK.search(segment)
    return _words(segment[: found.start()] if found else segment, end)[:3]


def _role(word: _Word) -> str:
    """A contraction's part: "she's" is "she is", "Amira's" is a possessive, "they'd" may be "had"."""
    text = word.text
    head, _, tail = text.rpartition("'")
    if not head:
        return text
    if tail == "s":
        return "is" if head in _PERSONAL | {"that", "there", "what", "who", "where"} else "'s"
    return {"re": "are", "m": "am", "ve": "have", "d": "had", "ll": "will"}.get(tail, text)


def _object_after(context: _Context) -> Literal["object", "none", "unknown"]:
    """Whether the words after a verb begin its object, do not, or cannot be told."""
    if not context.after:
        return "none"
    first = context.after[0]
    word = first.text
    if word in _NOT_OBJECTS or (word.endswith("ly") and len(word) > 4):
        return "none"
    second = context.after[1].text if len(context.after) > 1 else None
    third = context.after[2].text if len(context.after) > 2 else None
    if word in _OBJECTS:
        if second in _TIMES and (third is None or third in _NOT_OBJECTS):
            return "none"  # "this morning", "a lot", but not "a Year 7 girl"
        if word in _PRONOUN_OBJECTS and second in ("a", "an", "the", "some"):
            return "unknown"  # two objects: "sexted her a picture"
        return "object"
    if first.capital and word != "i":
        return "object"  # a name: "sexting Jake"
    return "unknown"


def _with_object(use: Use, words: str, context: _Context) -> str | None:
    """A verb's words with what its object needs, or ``None`` when that cannot be told."""
    if use.object in (None, "direct"):
        return words
    found = _object_after(context)
    if use.object == "no":
        return words if found == "none" else None
    if context.after and context.after[0].text == use.object:
        return words  # "sexting with him": the preposition is there already
    if found == "object":
        return f"{words} {use.object}"
    if found == "none":
        return words
    leading, _ = context.leading()
    noun_place = leading is None or _role(leading) in _DETERMINERS | _PREPOSITIONS
    return words if noun_place else None  # "Sexting became a problem": a subject, not a verb with an object


_Fit = tuple[str, int, int] | None


def _noun(use: Use, context: _Context) -> _Fit:
    """A count or mass noun in the form's place, with the article before it put right."""
    if context.suffix in ("'s", "’s"):
        return None  # "the paedophile's phone": a possessive of a long phrase does not read
    if context.after and context.after[0].text in _DESCRIBED:
        return _described(use, context)
    plural = context.suffix in ("s", "es")
    words = (use.plural if plural else use.say) if use.kind == "count" else (use.plural or use.say)
    adjacent = context.adjacent
    role = _role(adjacent) if adjacent else None
    if words is None or role in _PERSONAL or (context.verbs and _object_after(context) == "object"):
        return None  # no plural given, or a verb's place: "she sexts him"
    if adjacent is None or role not in _DETERMINERS | {"'s"}:
        return words, context.start, context.end
    if words.startswith(("the ", "a ", "an ")):
        # The words bring their own article: it takes the place of "the" or "her" ("her boyfriend": "the adult"), but
        # not of "a" ("she has a boyfriend aged 24" is not "she has the adult aged 24") nor of a name's "'s".
        return (words, adjacent.start, context.end) if role in _DEFINITE else None
    if role in ("a", "an"):
        if use.kind == "mass" or plural:
            return words, adjacent.start, context.end  # "an underage relationship": "sexual abuse of a child"
        return f"{_article(words)} {words}", adjacent.start, context.end
    return words, context.start, context.end


def _article(words: str) -> str:
    """ "a" or "an" before ``words``, by how they are said: "an adult", "a child", "an FGM case"."""
    first = words.split()[0]
    if len(first) > 1 and first.isupper():
        return "an" if first[0] in "AEFHILMNORSX" else "a"  # letters said one by one
    return "an" if first[0].lower() in "aeiou" else "a"


def _described(use: Use, context: _Context) -> _Fit:
    """Words standing before the noun they describe ("a domestic violence incident"), the article put right."""
    if not use.modifier:
        return None
    adjacent = context.adjacent
    if adjacent is not None and adjacent.text in ("a", "an"):
        return f"{_article(use.modifier)} {use.modifier}", adjacent.start, context.end
    return use.modifier, context.start, context.end


def _verb(use: Use, context: _Context) -> _Fit:
    """An -ing form, a past, present or base form, or a predicate after "is", each where it can stand."""
    leading, degree = context.leading()
    role = _role(leading) if leading else None
    if degree:
        return None
    words: str | None = use.say
    if use.kind == "after-be":
        return (use.say, context.start, context.end) if role in _BE | {"is", "are", "am"} else None
    if use.kind == "ing":
        if use.say.startswith("being ") and role in _BEEN:
            words = use.participle  # "had been selling herself": "been sexually exploited"
    elif use.kind == "past":
        if role in _HAVE | _BE | _BEEN | {"is", "are", "am", "had", "have"}:
            words = use.participle  # "she had slept around", "she was prostituted"
        elif role in _MODALS | _DETERMINERS | _PREPOSITIONS:
            words = None
    elif use.kind == "present":
        if leading is None or not _is_subject(leading, context):
            words = None
    elif role not in _MODALS | (_PERSONAL - _THIRD_PERSON) | {"will"}:  # base
        words = None
    if words is None:
        return None
    words = _with_object(use, words, context)
    return (words, context.start, context.end) if words is not None else None


def _is_subject(word: _Word, context: _Context) -> bool:
    """Whether ``word`` is a verb's subject in the third person: "she", a name, or a noun after "the" ("the boy")."""
    if word.text in _THIRD_PERSON or (word.capital and word.text not in _PERSONAL):
        return True
    earlier = context.before[context.before.index(word) + 1 :]
    return bool(earlier) and earlier[0].text in _DETERMINERS and word.text not in _NOT_OBJECTS


def _fit(use: Use, context: _Context) -> _Fit:
    if use.kind in ("count", "mass"):
        return _noun(use, context)
    if context.suffix:
        return None  # a verb's forms are listed as they are written ("sexts"), never with an ending added
    return _verb(use, context)


def _starts_sentence(text: str, position: int) -> bool:
    before = text[:position].rstrip(" \t")
    return not before or before[-1] in ".!?\n"


def _written(text: str, fitted: tuple[str, int, int]) -> str:
    """The words with a capital where the words they replace began a sentence with one."""
    words, start, end = fitted
    if sum(character.isalpha() for character in text[start:end]) > 1 and text[start:end].isupper():
        return words.upper()  # "SEXTING IS A PROBLEM"
    if text[start].isupper() and _starts_sentence(text, start):
        return words[0].upper() + words[1:]
    return words


def _key(phrase: str) -> str:
    return re.sub(r"[\s\-\u2010-\u2015]+", "", phrase.lower())


def replacements(text: str, start: int, end: int, term: Term, form: str, suffix: str = "") -> list[Replacement]:
    """For each of ``term``'s preferred terms, what to write in place of ``text[start:end]`` (the term's ``form``,
    followed by ``suffix``), or that nothing fits there."""
    form_key = _key(form)
    uses: Sequence[Use] = [use for use in term.uses if form_key in {_key(f) for f in use.forms}]
    context = _Context(
        text,
        start,
        end,
        suffix,
        _clause_before(text, start),
        _clause_after(text, end),
        any(use.kind in _VERB_KINDS for use in uses),
    )
    found = []
    for preferred in term.preferred:
        fitted = next((f for use in uses if use.preferred == preferred and (f := _fit(use, context)) is not None), None)
        if fitted is None:
            found.append(Replacement(preferred, start, end, text[start:end], None))
        else:
            found.append(
                Replacement(preferred, fitted[1], fitted[2], text[fitted[1] : fitted[2]], _written(text, fitted))
            )
    return found
