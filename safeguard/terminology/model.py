"""The vocabulary's data types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Severity = Literal["avoid", "caution"]
# How a preferred term reads in a flagged form's place (see grammar.py): a countable or uncountable noun, an -ing
# form, a predicate after "is" or "was", or a verb in the past, the present (after he, she or a name) or the base
# form (after "to", "will", "did"...).
UseKind = Literal["count", "mass", "ing", "after-be", "past", "present", "base"]


@dataclass
class Category:
    """A category of concern (a leaf) or a group of categories (``parent`` is ``None``)."""

    id: str
    label: str
    definition: str
    source: str
    parent: str | None = None
    sensitive_imagery: bool = False
    urgent_by_default: bool = False
    # Handling guidance shown to the person logging a concern in this category.
    guidance: str | None = None
    children: list[Category] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        """Whether this is a group rather than a category a concern can be filed under."""
        return self.parent is None


@dataclass(frozen=True)
class Use:
    """How one preferred term is written in place of some forms of a term, so that the sentence still reads."""

    forms: tuple[str, ...]
    kind: UseKind
    # The words put in the form's place.
    say: str
    # The preferred term these words write (one of the term's ``preferred``).
    preferred: str
    # For a noun: the words in place of the plural form ("children who are being sexually exploited").
    plural: str | None = None
    # After "has", "had", "was", "been"...: "been sexually exploited" for "slept around" in "she had slept around".
    participle: str | None = None
    # A verb's object: a preposition put before it ("with"), "direct" (it follows as it is), "no" (none may follow);
    # ``None``: what follows is not looked at.
    object: str | None = None
    # For a noun: the words that stand before another noun ("domestic abuse" in "a domestic abuse incident").
    modifier: str | None = None


@dataclass(frozen=True)
class Term:
    """A term to avoid or use with caution, with its variants and what to say instead."""

    id: str
    term: str
    variants: tuple[str, ...]
    severity: Severity
    preferred: tuple[str, ...]
    reason: str
    source: str
    # How the preferred terms read in place of the forms; a form no use covers gets no replacement offered.
    uses: tuple[Use, ...] = ()

    @property
    def forms(self) -> tuple[str, ...]:
        """The term and every variant."""
        return (self.term, *self.variants)


@dataclass(frozen=True)
class Agency:
    """Somewhere a concern can be reported."""

    id: str
    name: str
    kind: str
    country: str
    # A web address or a telephone number.
    address: str
    # When the entry was last confirmed: numbers and addresses change.
    checked: date
    source: str = ""

    @property
    def is_web(self) -> bool:
        """Whether the address is a web address (rather than a telephone number)."""
        return self.address.startswith(("http://", "https://"))


@dataclass
class Vocabulary:
    """One locale's reviewed vocabulary."""

    locale: str
    version: str
    sources: dict[str, str]
    groups: list[Category]
    categories: dict[str, Category]
    terms: list[Term]
    allowed: list[str]
    agencies: list[Agency]
    # Guided-response protocols by id (``<locale>/protocols/*.yaml``), validated with the rest.
    protocols: dict = field(default_factory=dict)
    # Pages' fragments built from this vocabulary, kept with it: it does not change once loaded (a new version is
    # a new object), and some are on every visit to the queue.
    rendered: dict = field(default_factory=dict, repr=False, compare=False)

    def category(self, category_id: str) -> Category | None:
        """The category or group with this id, or ``None``."""
        return self.categories.get(category_id)

    def agency(self, agency_id: str) -> Agency | None:
        """The agency with this id, or ``None``."""
        return next((a for a in self.agencies if a.id == agency_id), None)

    @property
    def leaves(self) -> list[Category]:
        """Every category a concern can be filed under, in display order."""
        return [child for group in self.groups for child in group.children]
