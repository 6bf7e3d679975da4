"""The correct-terminology checker: finds terms to avoid or use with caution in free text.

One regular expression is compiled per vocabulary version, shaped as a trie (shared prefixes are matched once),
so that a check is a single pass over the text. Matches are whole words, in any case, with a space, a hyphen or
nothing between the words of a phrase and an optional plural ending. Three things are never flagged: text inside
quotation marks (the child's or a witness's own words, recorded verbatim), a match inside a correct phrase of the
vocabulary (such as "prostitution" in "sexual exploitation of children in prostitution"), and words that merely
look close (adult "pornography" is not "child pornography": only the listed forms are matched).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from safeguard.terminology.grammar import Replacement, replacements
from safeguard.terminology.model import Severity, Term

# Between the words of a phrase: spaces, hyphens and dashes, or nothing ("child-porn", "child porn", "childporn").
_SEPARATOR = r"[\s\-\u2010-\u2015]*"
_PLURAL = r"(?:'s|’s|es|s)?"
_SEP = object()  # the separator atom in the trie


@dataclass(frozen=True)
class Finding:
    """A flagged span of the text."""

    start: int
    end: int
    text: str
    preferred: list[str]
    severity: Severity
    reason: str
    source: str
    term_id: str = ""
    # The vocabulary's form the text matched, and the ending after it ("s", "es", "'s"), if any.
    form: str = ""
    suffix: str = ""
    # The checked text and the term, kept to write the replacements when they are asked for (not on every check).
    context: tuple[str, Term] | None = field(default=None, repr=False, compare=False)

    def replacements(self) -> list[Replacement]:
        """For each preferred term, the words to write in this span's place so that the sentence still reads, or
        that none fit (see :mod:`safeguard.terminology.grammar`)."""
        if self.context is None:
            return []
        text, term = self.context
        return replacements(text, self.start, self.end, term, self.form, self.suffix)

    def to_dict(self) -> dict:
        """The JSON form: start, end, text, preferred, severity, reason and replacements."""
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "preferred": list(self.preferred),
            "severity": self.severity,
            "reason": self.reason,
            "replacements": [r.to_dict() for r in self.replacements()],
        }


def _atoms(phrase: str) -> list:
    atoms: list = []
    for index, word in enumerate(re.split(r"[\s\-\u2010-\u2015]+", phrase.strip().lower())):
        if index:
            atoms.append(_SEP)
        atoms.extend(word)
    return atoms


def _trie_pattern(phrases: Iterable[str], plural: bool) -> str:
    """A regular expression matching any of ``phrases``, built as a trie so shared prefixes are tried once."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for atom in _atoms(phrase):
            node = node.setdefault(atom, {})
        node[None] = True

    def render(node: dict) -> str:
        branches = []
        # Longer continuations first, so that the longest form wins where one form is a prefix of another.
        for atom, child in sorted(
            ((a, c) for a, c in node.items() if a is not None), key=lambda item: -_depth(item[1])
        ):
            piece = _SEPARATOR if atom is _SEP else re.escape(atom)
            branches.append(piece + render(child))
        if None in node:
            branches.append(_PLURAL if plural else "")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return render(trie)


def _depth(node: dict) -> int:
    children = [c for a, c in node.items() if a is not None]
    return 1 + max((_depth(c) for c in children), default=0)


_OPENING_SINGLE = "'‘‚‹"
_PAIRS = {'"': '"', "“": "”", "„": "“", "«": "»", "‘": "’", "'": "'", "‚": "‘", "‹": "›"}
# Closing marks accepted for each opening one (people mix straight and curly quotes).
_CLOSERS = {opening: {closing, *({'"', "”"} if closing in '"”' else ())} for opening, closing in _PAIRS.items()}
_QUOTE_MARKS = re.compile("[\"“”„«»'‘’‚‹›]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


def _opens(text: str, position: int, mark: str) -> bool:
    """Whether the mark at ``position`` opens a quotation (a single quote after a letter is an apostrophe)."""
    if mark not in _PAIRS:
        return False
    before = text[position - 1] if position else " "
    return mark not in _OPENING_SINGLE or before.isspace() or before in '([{—–-/"“'


def _closes(text: str, position: int, mark: str, opening: str) -> bool:
    """Whether the mark at ``position`` closes the quotation ``opening`` began ("don't" inside one does not)."""
    if mark not in _CLOSERS[opening]:
        return False
    after = text[position + 1] if position + 1 < len(text) else " "
    return opening not in _OPENING_SINGLE or not after.isalnum()


def _paragraph_end(breaks: list[int], start: int, length: int) -> int:
    """Where the paragraph holding ``start`` ends: at the next blank line, or at the end of the text."""
    index = bisect_right(breaks, start)
    return breaks[index] if index < len(breaks) else length


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """The spans of ``text`` inside quotation marks, straight or curly, double or single.

    An apostrophe inside or at the end of a word ("don't", "the girls' toilets") is not a quotation mark: a
    single quote opens only after a space, a bracket or the start of a line, and closes only when no letter or
    digit follows. A quotation left open runs to the end of its paragraph (a blank line) or of the text.
    Only the quotation marks are visited, so the cost grows with their number, not with the length of the text.
    """
    spans: list[tuple[int, int]] = []
    marks = [(m.start(), m.group()) for m in _QUOTE_MARKS.finditer(text)]
    if not marks:
        return spans
    breaks = [m.start() for m in _PARAGRAPH_BREAK.finditer(text)] if "\n" in text else []
    length = len(text)
    opening_at = None
    opening = ""
    closed_by = length  # where the open quotation's paragraph ends
    for position, mark in marks:
        if opening_at is not None and closed_by < position:
            spans.append((opening_at, closed_by))  # a paragraph break closes an unclosed quotation
            opening_at = None
        if opening_at is None:
            if _opens(text, position, mark):
                opening_at, opening, closed_by = position, mark, _paragraph_end(breaks, position, length)
        elif _closes(text, position, mark, opening):
            spans.append((opening_at, position + 1))
            opening_at = None
    if opening_at is not None:
        spans.append((opening_at, closed_by))
    return spans


class Checker:
    """Finds the vocabulary's terms in text. Build once per vocabulary version; :meth:`check` is thread-safe.

    Flagged forms and correct phrases share one trie-shaped pattern, so the text is scanned once and the longest
    phrase wins at each position: a flagged word inside a correct phrase is consumed by the phrase and skipped.
    """

    def __init__(self, terms: list[Term], allowed: list[str], *, preferred_are_safe: bool = True) -> None:
        self.terms = terms
        self._by_form: dict[str, Term] = {}
        self._form: dict[str, str] = {}  # each form as the vocabulary writes it, by its key
        for term in terms:
            for form in term.forms:
                self._by_form[_key(form)] = term
                self._form[_key(form)] = form
        # Preferred terms are correct by definition: never flag a word inside one (the loader turns this off to
        # catch a preferred term that is itself a term to avoid).
        safe = list(allowed) + ([p for term in terms for p in term.preferred] if preferred_are_safe else [])
        self._safe = {_key(phrase) for phrase in safe} - set(self._by_form)
        body = _trie_pattern([*self._by_form_phrases(), *safe], plural=True)
        # Matching lower-cased text without IGNORECASE is about twice as fast; the other pattern serves the rare
        # text whose lower-case form has a different length (offsets must stay those of the original).
        self.pattern = re.compile(rf"\b{body}(?!\w)")
        self.pattern_any_case = re.compile(rf"\b{body}(?!\w)", re.IGNORECASE)

    def _by_form_phrases(self) -> list[str]:
        return [form for term in self.terms for form in term.forms]

    def _lookup(self, matched: str) -> tuple[Term, str, str] | None:
        """The term a matched span is a form of, with the form and the ending after it; ``None`` for a correct
        phrase."""
        key = _key(matched)
        for suffix in ("", "'s", "’s", "es", "s"):
            candidate = key.removesuffix(suffix) if suffix else key
            if suffix and candidate == key:
                continue
            if candidate in self._by_form:
                return self._by_form[candidate], self._form[candidate], suffix
            if candidate in self._safe:
                return None
        return None

    def check(self, text: str) -> list[Finding]:
        """Return the findings in ``text``, in order; never raises for any string."""
        if not text:
            return []
        lowered = text.lower()
        if len(lowered) == len(text):
            spans = [m.span() for m in self.pattern.finditer(lowered)]
        else:
            spans = [m.span() for m in self.pattern_any_case.finditer(text)]
        hits = [(start, end, found) for start, end in spans if (found := self._lookup(text[start:end])) is not None]
        if not hits:
            return []
        quoted = quoted_spans(text)
        starts = [a for a, _ in quoted]
        findings = []
        for start, end, (term, form, suffix) in hits:
            index = bisect_right(starts, start) - 1
            if index >= 0 and quoted[index][1] >= end:
                continue  # the child's own words, recorded verbatim
            findings.append(
                Finding(
                    start=start,
                    end=end,
                    text=text[start:end],
                    preferred=list(term.preferred),
                    severity=term.severity,
                    reason=term.reason,
                    source=term.source,
                    term_id=term.id,
                    form=form,
                    suffix=suffix,
                    context=(text, term),
                )
            )
        return findings


def _key(phrase: str) -> str:
    return re.sub(r"[\s\-\u2010-\u2015]+", "", phrase.lower())
