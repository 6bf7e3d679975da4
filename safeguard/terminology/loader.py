"""Loading and validating the vocabulary files (``terminology/<locale>/*.yaml``).

The schemas below are the files' format. What a schema cannot say (an id used twice, a source meta.yaml does not
define, a preferred term that is itself a term to avoid) is checked once each, by a file's ``problems()`` or by
the functions after the schemas. Every problem is reported with the file, the entry and the field, so that a
reviewer can fix it without reading code. The app refuses to start on an invalid vocabulary; ``flask --app
safeguard terminology lint`` runs the same checks in CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import AfterValidator, Field, StrictBool, ValidationInfo, field_validator

from safeguard.core.datafiles import DataFileError, Schema, at_least_one, duplicate_ids, load, problem
from safeguard.protocols import Protocol, ProtocolError, load_protocols
from safeguard.terminology.checker import Checker
from safeguard.terminology.model import (
    BODY_VIEWS,
    Agency,
    BodyMapVocabulary,
    BodyRegion,
    Category,
    Term,
    Use,
    UseKind,
    Vocabulary,
)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A source is cited by its short name in capitals ("KCSIE Part one", "LUX; SOA").
_SOURCE_NAME = re.compile(r"\b[A-Z]{2,6}\b")


class VocabularyError(DataFileError):
    """The vocabulary files are invalid; ``problems`` lists each one as ``file: entry: field: message``."""

    title = "invalid vocabulary"


def normalise(phrase: str) -> str:
    """The key two spellings of a term share: lower case, no spaces or hyphens."""
    return re.sub(r"[\s\-\u2010-\u2015]+", "", phrase.lower())


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError("must be a slug: lower-case letters, digits and hyphens")
    return value


class _VocabularyFile(Schema):
    """One of the locale's files: its name, the entries citing a source, and the checks across its entries."""

    file_name: ClassVar[str]

    def entries(self) -> Iterable[Any]:
        """The file's entries, each with an ``id`` and a ``source`` citing meta.yaml's short names."""
        return ()

    def problems(self) -> list[str]:
        """What the schema cannot say about the file's entries taken together."""
        return []


class MetaFile(_VocabularyFile):
    """``meta.yaml``: the vocabulary's identity and the sources its entries cite."""

    file_name = "meta.yaml"
    file_entry: ClassVar[str] = "meta"

    locale: str
    version: str
    name: str | None = None
    sources: Annotated[dict[str, str], at_least_one("must map each short source name to its document")]


class _CategoryFields(Schema):
    """What a group and a category both have."""

    id: Annotated[str, AfterValidator(_slug)]
    label: str
    definition: str
    source: str
    sensitive_imagery: StrictBool = False
    urgent_by_default: StrictBool = False
    # Validated when absent too, so that the rule below sees a missing guidance.
    guidance: str | None = Field(None, validate_default=True)

    @field_validator("guidance")
    @classmethod
    def _imagery_needs_guidance(cls, guidance: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("sensitive_imagery") and not guidance:
            raise ValueError("is required when sensitive_imagery is true")
        return guidance

    def category(self, parent: str | None, children: Iterable[Category] = ()) -> Category:
        """The vocabulary's :class:`Category` for this entry."""
        fields = self.model_dump(include=set(_CategoryFields.model_fields))
        return Category(**fields, parent=parent, children=list(children))


class CategoryEntry(_CategoryFields):
    """A category a concern can be filed under."""

    # Optional: the group the category is listed in says it already.
    parent: str | None = None


class GroupEntry(_CategoryFields):
    """A group of categories."""

    categories: Annotated[tuple[CategoryEntry, ...], at_least_one("must list at least one category")]


class CategoriesFile(_VocabularyFile):
    """``categories.yaml``: the groups, each with its categories."""

    file_name = "categories.yaml"
    entry_lists: ClassVar[Mapping[str, str]] = {"groups": "group", "categories": "category"}

    groups: tuple[GroupEntry, ...]

    def entries(self) -> list[_CategoryFields]:
        """Every group and category, in order."""
        return [entry for group in self.groups for entry in (group, *group.categories)]

    def problems(self) -> list[str]:
        """Ids are unique across groups and categories, and a category's ``parent``, if given, is its group."""
        return duplicate_ids(self.file_name, self.entries()) + [
            problem(self.file_name, entry.id, "parent", f"names {entry.parent!r}, an unknown parent category here")
            for group in self.groups
            for entry in group.categories
            if entry.parent not in (None, group.id)
        ]

    def vocabulary_groups(self) -> list[Category]:
        """The groups as the vocabulary holds them, each with its categories."""
        return [group.category(None, (entry.category(group.id) for entry in group.categories)) for group in self.groups]


_NOUNS = ("count", "mass")
_VERBS = ("ing", "past", "present", "base")
# A verb's object: a preposition put before it, or one of these.
_OBJECT_WORDS = ("direct", "no")


class UseEntry(Schema):
    """How a preferred term is written in place of some of the term's forms (grammar.py reads it)."""

    forms: Annotated[tuple[str, ...], at_least_one("must list at least one form of the term")]
    kind: UseKind = Field(alias="as")
    say: str
    preferred: str | None = None
    plural: str | None = None
    participle: str | None = None
    object: str | None = None
    modifier: str | None = None

    def problems(self, term: TermEntry, number: int) -> list[str]:
        """What the schema cannot say: the forms are the term's, and each field suits the kind of use."""
        where = f"{term.id} (use {number})"
        forms = {normalise(form) for form in (term.term, *term.variants)}
        found = [f"{form!r} is not a form of the term" for form in self.forms if normalise(form) not in forms]
        if self.preferred is not None and self.preferred not in term.preferred:
            found.append(f"preferred: {self.preferred!r} is not one of the term's preferred terms")
        if (self.plural or self.modifier) and self.kind not in _NOUNS:
            found.append("plural and modifier are for a noun (as: count or mass)")
        if self.participle and self.kind not in ("ing", "past"):
            found.append("participle is for as: ing or as: past")
        if self.object and self.kind not in _VERBS:
            found.append("object is for a verb (as: ing, past, present or base)")
        if self.object and self.object not in _OBJECT_WORDS and not self.object.isalpha():
            found.append("object must be a preposition (such as with), direct or no")
        return [problem("terms.yaml", where, "uses", message) for message in found]

    def use(self, term: TermEntry) -> Use:
        """The vocabulary's :class:`Use`; it writes the preferred term it names, the one it says, or the first."""
        preferred = self.preferred or (self.say if self.say in term.preferred else term.preferred[0])
        fields = self.model_dump(exclude={"preferred"})
        return Use(**fields, preferred=preferred)


class TermEntry(Schema):
    """A term to avoid or use with caution, with its variants and what to say instead."""

    id: str
    term: str
    variants: tuple[str, ...] = ()
    severity: Literal["avoid", "caution"]
    preferred: Annotated[tuple[str, ...], at_least_one("must list at least one preferred alternative")]
    reason: str
    source: str
    uses: tuple[UseEntry, ...] = ()

    def vocabulary_term(self) -> Term:
        """The term as the vocabulary holds it."""
        fields = self.model_dump(exclude={"uses"})
        return Term(**fields, uses=tuple(use.use(self) for use in self.uses))


class TermsFile(_VocabularyFile):
    """``terms.yaml``: the terms the checker flags, and correct phrases it never flags."""

    file_name = "terms.yaml"
    entry_lists: ClassVar[Mapping[str, str]] = {"terms": "term"}
    part_lists: ClassVar[Mapping[str, str]] = {"uses": "use"}

    terms: tuple[TermEntry, ...]
    allowed: tuple[str, ...] = ()

    def entries(self) -> tuple[TermEntry, ...]:
        """Every term."""
        return self.terms

    def vocabulary_terms(self) -> list[Term]:
        """The terms as the vocabulary holds them."""
        return [entry.vocabulary_term() for entry in self.terms]

    def problems(self) -> list[str]:
        """Ids are unique, no two terms share a form, no preferred alternative (nor the words a use writes) is itself
        a term to avoid, and each use names the term's forms and fields that suit it."""
        terms = self.vocabulary_terms()
        uses = [
            problem for entry in self.terms for n, use in enumerate(entry.uses, 1) for problem in use.problems(entry, n)
        ]
        return duplicate_ids(self.file_name, terms) + _shared_forms(terms) + _flagged_preferred(terms) + uses


class AgencyEntry(Schema):
    """Somewhere a concern can be reported."""

    id: str
    name: str
    kind: str
    country: str
    address: str
    checked: date = Field(strict=True)
    source: str


class AgenciesFile(_VocabularyFile):
    """``agencies.yaml``: where to report, with the date each entry was last confirmed."""

    file_name = "agencies.yaml"
    entry_lists: ClassVar[Mapping[str, str]] = {"agencies": "agency"}

    agencies: tuple[AgencyEntry, ...]

    def entries(self) -> tuple[AgencyEntry, ...]:
        """Every agency."""
        return self.agencies

    def problems(self) -> list[str]:
        """Ids are unique."""
        return duplicate_ids(self.file_name, self.agencies)


class BodyViewEntry(Schema):
    """One outline of the body map."""

    id: Literal["front", "back", "left", "right", "head"]
    label: str


class MarkKindEntry(Schema):
    """A kind of mark (a bruise, a cut...)."""

    id: Annotated[str, AfterValidator(_slug)]
    label: str


def _box(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    left, top, right, bottom = box
    if not (0 <= left < right <= 100 and 0 <= top < bottom <= 100):
        raise ValueError(
            "must be [left, top, right, bottom], percentages from 0 to 100, left before right, top before bottom"
        )
    return box


class BodyRegionEntry(Schema):
    """A part of the body, and its box on each outline it is drawn on."""

    id: Annotated[str, AfterValidator(_slug)]
    label: str
    sided: StrictBool = False
    # By outline: the front, the back, the head, and the side (the right side's outline is the left's mirror).
    boxes: Annotated[
        dict[
            Literal["front", "back", "side", "head"], Annotated[tuple[float, float, float, float], AfterValidator(_box)]
        ],
        at_least_one("must give the region's box on at least one outline"),
    ]

    def region(self) -> BodyRegion:
        """The vocabulary's :class:`BodyRegion`, its boxes as fractions of an outline's width and height."""
        boxes: dict[str, tuple[float, float, float, float]] = {
            view: (box[0] / 100, box[1] / 100, box[2] / 100, box[3] / 100) for view, box in self.boxes.items()
        }
        return BodyRegion(id=self.id, label=self.label, sided=self.sided, boxes=boxes)


class BodyMapFile(_VocabularyFile):
    """``body-map.yaml``: the outlines, the parts of the body a mark is recorded on, and the kinds of mark."""

    file_name = "body-map.yaml"
    entry_lists: ClassVar[Mapping[str, str]] = {"views": "view", "kinds": "kind", "regions": "region"}

    views: tuple[BodyViewEntry, ...]
    kinds: Annotated[tuple[MarkKindEntry, ...], at_least_one("must list at least one kind of mark")]
    regions: Annotated[tuple[BodyRegionEntry, ...], at_least_one("must list at least one region")]

    def problems(self) -> list[str]:
        """Ids are unique in each list, every outline is listed once, and "other" is a kind of mark."""
        found = duplicate_ids(self.file_name, self.views) + duplicate_ids(self.file_name, self.kinds)
        found += duplicate_ids(self.file_name, self.regions)
        missing = [view for view in BODY_VIEWS if view not in {v.id for v in self.views}]
        if missing:
            found.append(problem(self.file_name, "(file)", "views", f"must list every outline; missing {missing}"))
        if "other" not in {kind.id for kind in self.kinds}:
            found.append(problem(self.file_name, "(file)", "kinds", "must include the kind 'other'"))
        return found

    def vocabulary_body_map(self) -> BodyMapVocabulary:
        """The body map as the vocabulary holds it."""
        return BodyMapVocabulary(
            views={view.id: view.label for view in self.views},
            regions={entry.id: entry.region() for entry in self.regions},
            kinds={kind.id: kind.label for kind in self.kinds},
        )


def _shared_forms(terms: list[Term]) -> list[str]:
    """A problem for each form (term or variant) already a form of an earlier term."""
    problems = []
    owners: dict[str, str] = {}
    for term in terms:
        for form in term.forms:
            owner = owners.setdefault(normalise(form), term.id)
            if owner != term.id:
                problems.append(problem("terms.yaml", term.id, "variants", f"{form!r} is already a form of {owner!r}"))
    return problems


def _flagged_preferred(terms: list[Term]) -> list[str]:
    """A preferred alternative, or the words a use writes for it, that is itself a term to avoid would send the writer
    round in circles."""
    checker = Checker(terms, [], preferred_are_safe=False)
    written = [("preferred", term.id, preferred) for term in terms for preferred in term.preferred] + [
        ("uses", term.id, words)
        for term in terms
        for use in term.uses
        for words in (use.say, use.plural, use.participle, use.modifier)
        if words
    ]
    return [
        problem("terms.yaml", term_id, field, f"{words!r} is itself a term to avoid ({finding.text!r})")
        for field, term_id, words in written
        for finding in checker.check(words)
        if finding.severity == "avoid"
    ]


def _meta_problems(meta: MetaFile, folder: Path, files: Iterable[_VocabularyFile | None]) -> list[str]:
    """The locale is the folder's, and every source an entry cites is one of the short names meta.yaml explains."""
    problems = [
        problem(file.file_name, entry.id, "source", f"cites {name!r}, which meta.yaml does not define")
        for file in files
        if file is not None
        for entry in file.entries()
        for name in _SOURCE_NAME.findall(entry.source)
        if name not in meta.sources
    ]
    if meta.locale != folder.name:
        message = f"says {meta.locale!r} but the folder is {folder.name!r}"
        problems.insert(0, problem("meta.yaml", "meta", "locale", message))
    return problems


FileT = TypeVar("FileT", bound=_VocabularyFile)


def _read(schema: type[FileT], directory: Path, problems: list[str]) -> FileT | None:
    """The file validated and checked, or ``None`` when invalid; its problems are added to ``problems``."""
    try:
        file = load(schema, directory / schema.file_name)
    except DataFileError as error:
        problems.extend(error.problems)
        return None
    problems.extend(file.problems())
    return file


def _protocols(
    directory: Path, categories: CategoriesFile | None, agencies: AgenciesFile | None, problems: list[str]
) -> dict[str, Protocol]:
    """The locale's protocols, their categories and agencies checked against the files that are valid."""
    try:
        return load_protocols(
            directory / "protocols",
            categories={entry.id for entry in categories.entries()} if categories else None,
            agencies={entry.id for entry in agencies.agencies} if agencies else None,
        )
    except ProtocolError as error:
        problems.extend(f"protocols/{problem}" for problem in error.problems)
        return {}


def load_vocabulary(directory: Path) -> Vocabulary:
    """Read and validate one locale's folder; raise :class:`VocabularyError` listing every problem."""
    if not directory.is_dir():
        raise VocabularyError([problem(str(directory), "(folder)", "(folder)", "the locale folder does not exist")])
    problems: list[str] = []
    meta = _read(MetaFile, directory, problems)
    categories = _read(CategoriesFile, directory, problems)
    terms = _read(TermsFile, directory, problems)
    agencies = _read(AgenciesFile, directory, problems)
    body_map = _read(BodyMapFile, directory, problems)
    if meta is not None:
        problems.extend(_meta_problems(meta, directory, (categories, terms, agencies)))
    protocols = _protocols(directory, categories, agencies, problems)
    if problems or meta is None or categories is None or terms is None or agencies is None or body_map is None:
        raise VocabularyError(problems)
    groups = categories.vocabulary_groups()
    return Vocabulary(
        locale=meta.locale,
        version=meta.version,
        sources=dict(meta.sources),
        groups=groups,
        categories={category.id: category for group in groups for category in (group, *group.children)},
        terms=terms.vocabulary_terms(),
        allowed=list(terms.allowed),
        agencies=[Agency(**dict(entry)) for entry in agencies.agencies],
        body_map=body_map.vocabulary_body_map(),
        protocols=protocols,
    )
