"""Loading and validating the vocabulary files (``terminology/<locale>/*.yaml``).

Every problem is reported with the file, the entry and the field, so that a reviewer can fix it without reading
code. The app refuses to start on an invalid vocabulary; ``flask --app safeguard terminology lint`` runs the same
checks in CI.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from safeguard.protocols import ProtocolError, load_protocols
from safeguard.terminology.checker import Checker
from safeguard.terminology.model import Agency, Category, Term, Vocabulary

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FILES = ("meta.yaml", "categories.yaml", "terms.yaml", "agencies.yaml")


class VocabularyError(ValueError):
    """The vocabulary files are invalid; ``problems`` lists each one as ``file: entry: field: message``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid vocabulary:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: str, entry: str, field: str, message: str) -> None:
        self.items.append(f"{file}: {entry}: {field}: {message}")


def _read(path: Path, problems: _Problems) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        problems.add(path.name, "(file)", "(file)", "the file is missing")
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        problems.add(path.name, "(file)", "(file)", f"not valid YAML: {error}".replace("\n", " "))
    return None


def _text(value: Any, file: str, entry: str, field: str, problems: _Problems, required: bool = True) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(file, entry, field, "is required")
        return ""
    if not isinstance(value, str | int | float):
        problems.add(file, entry, field, "must be text")
        return ""
    return str(value).strip()


def _flag(value: Any, file: str, entry: str, field: str, problems: _Problems) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        problems.add(file, entry, field, "must be true or false")
        return False
    return value


def _known(item: dict, allowed: set[str], file: str, entry: str, problems: _Problems) -> None:
    for key in sorted(set(item) - allowed):
        problems.add(file, entry, key, "is not a known field")


def _categories(data: Any, problems: _Problems) -> tuple[list[Category], dict[str, Category]]:
    file = "categories.yaml"
    groups: list[Category] = []
    index: dict[str, Category] = {}
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        problems.add(file, "(file)", "groups", "must be a list of groups")
        return groups, index

    def make(item: Any, position: str, parent: str | None) -> Category | None:
        if not isinstance(item, dict):
            problems.add(file, position, "(entry)", "must be a mapping")
            return None
        entry = str(item.get("id") or position)
        allowed = {"id", "label", "definition", "source", "guidance", "sensitive_imagery", "urgent_by_default"}
        allowed |= {"categories"} if parent is None else {"parent"}
        _known(item, allowed, file, entry, problems)
        category_id = _text(item.get("id"), file, entry, "id", problems)
        if category_id and not SLUG.match(category_id):
            problems.add(file, entry, "id", "must be a slug: lower-case letters, digits and hyphens")
        if category_id in index:
            problems.add(file, entry, "id", "is a duplicate id")
        declared_parent = item.get("parent")
        if parent is not None and declared_parent is not None and declared_parent != parent:
            problems.add(file, entry, "parent", f"names {declared_parent!r}, an unknown parent category here")
        category = Category(
            id=category_id,
            label=_text(item.get("label"), file, entry, "label", problems),
            definition=_text(item.get("definition"), file, entry, "definition", problems),
            source=_text(item.get("source"), file, entry, "source", problems),
            parent=parent,
            sensitive_imagery=_flag(item.get("sensitive_imagery"), file, entry, "sensitive_imagery", problems),
            urgent_by_default=_flag(item.get("urgent_by_default"), file, entry, "urgent_by_default", problems),
            guidance=_text(item.get("guidance"), file, entry, "guidance", problems, required=False) or None,
        )
        if category.sensitive_imagery and not category.guidance:
            problems.add(file, entry, "guidance", "is required when sensitive_imagery is true")
        if category_id:
            index.setdefault(category_id, category)
        return category

    for position, raw in enumerate(data["groups"], start=1):
        group = make(raw, f"group {position}", None)
        if group is None:
            continue
        children = raw.get("categories") if isinstance(raw, dict) else None
        if not isinstance(children, list) or not children:
            problems.add(file, group.id or f"group {position}", "categories", "must list at least one category")
            children = []
        for child_position, child_raw in enumerate(children, start=1):
            child = make(child_raw, f"{group.id} category {child_position}", group.id)
            if child is not None:
                group.children.append(child)
        groups.append(group)
    return groups, index


def _terms(data: Any, problems: _Problems) -> tuple[list[Term], list[str]]:
    file = "terms.yaml"
    terms: list[Term] = []
    if not isinstance(data, dict) or not isinstance(data.get("terms"), list):
        problems.add(file, "(file)", "terms", "must be a list of terms")
        return terms, []
    seen_ids: set[str] = set()
    seen_forms: dict[str, str] = {}
    for position, item in enumerate(data["terms"], start=1):
        if not isinstance(item, dict):
            problems.add(file, f"term {position}", "(entry)", "must be a mapping")
            continue
        entry = str(item.get("id") or f"term {position}")
        _known(item, {"id", "term", "variants", "severity", "preferred", "reason", "source"}, file, entry, problems)
        term_id = _text(item.get("id"), file, entry, "id", problems)
        if term_id in seen_ids:
            problems.add(file, entry, "id", "is a duplicate id")
        seen_ids.add(term_id)
        severity = item.get("severity")
        if severity not in ("avoid", "caution"):
            problems.add(file, entry, "severity", "must be avoid or caution")
        variants = item.get("variants") or []
        preferred = item.get("preferred")
        if not isinstance(variants, list) or not all(isinstance(v, str) and v.strip() for v in variants):
            problems.add(file, entry, "variants", "must be a list of words or phrases")
            variants = []
        if not isinstance(preferred, list) or not preferred or not all(isinstance(p, str) and p for p in preferred):
            problems.add(file, entry, "preferred", "must list at least one preferred alternative")
            preferred = []
        term = Term(
            id=term_id,
            term=_text(item.get("term"), file, entry, "term", problems),
            variants=tuple(v.strip() for v in variants),
            severity=severity if severity in ("avoid", "caution") else "caution",
            preferred=tuple(p.strip() for p in preferred),
            reason=_text(item.get("reason"), file, entry, "reason", problems),
            source=_text(item.get("source"), file, entry, "source", problems),
        )
        for form in term.forms:
            key = normalise(form)
            if key in seen_forms and seen_forms[key] != term_id:
                problems.add(file, entry, "variants", f"{form!r} is already a form of {seen_forms[key]!r}")
            seen_forms[key] = term_id
        terms.append(term)
    allowed = data.get("allowed") or []
    if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
        problems.add(file, "allowed", "allowed", "must be a list of phrases")
        allowed = []
    # A preferred term that is itself flagged would send the writer round in circles.
    checker = Checker(terms, [], preferred_are_safe=False)
    for term in terms:
        for preferred in term.preferred:
            for finding in checker.check(preferred):
                if finding.severity == "avoid":
                    problems.add(
                        file, term.id, "preferred", f"{preferred!r} is itself a term to avoid ({finding.text!r})"
                    )
    return terms, [a.strip() for a in allowed]


def _agencies(data: Any, problems: _Problems) -> list[Agency]:
    file = "agencies.yaml"
    agencies: list[Agency] = []
    if not isinstance(data, dict) or not isinstance(data.get("agencies"), list):
        problems.add(file, "(file)", "agencies", "must be a list of agencies")
        return agencies
    seen: set[str] = set()
    for position, item in enumerate(data["agencies"], start=1):
        if not isinstance(item, dict):
            problems.add(file, f"agency {position}", "(entry)", "must be a mapping")
            continue
        entry = str(item.get("id") or f"agency {position}")
        _known(item, {"id", "name", "kind", "country", "address", "checked", "source"}, file, entry, problems)
        agency_id = _text(item.get("id"), file, entry, "id", problems)
        if agency_id in seen:
            problems.add(file, entry, "id", "is a duplicate id")
        seen.add(agency_id)
        checked = item.get("checked")
        if not isinstance(checked, date):
            problems.add(file, entry, "checked", "must be a date (YYYY-MM-DD)")
            checked = date.min
        agencies.append(
            Agency(
                id=agency_id,
                name=_text(item.get("name"), file, entry, "name", problems),
                kind=_text(item.get("kind"), file, entry, "kind", problems),
                country=_text(item.get("country"), file, entry, "country", problems),
                address=_text(item.get("address"), file, entry, "address", problems),
                checked=checked,
                source=_text(item.get("source"), file, entry, "source", problems),
            )
        )
    return agencies


def normalise(phrase: str) -> str:
    """The key two spellings of a term share: lower case, no spaces or hyphens."""
    return re.sub(r"[\s\-\u2010-\u2015]+", "", phrase.lower())


def load_vocabulary(directory: Path) -> Vocabulary:
    """Read and validate one locale's folder; raise :class:`VocabularyError` listing every problem."""
    problems = _Problems()
    if not directory.is_dir():
        raise VocabularyError([f"{directory}: (folder): (folder): the locale folder does not exist"])
    meta = _read(directory / "meta.yaml", problems) or {}
    raw_categories = _read(directory / "categories.yaml", problems)
    raw_terms = _read(directory / "terms.yaml", problems)
    raw_agencies = _read(directory / "agencies.yaml", problems)
    if not isinstance(meta, dict):
        problems.add("meta.yaml", "(file)", "(file)", "must be a mapping")
        meta = {}
    version = _text(meta.get("version"), "meta.yaml", "meta", "version", problems)
    locale = _text(meta.get("locale"), "meta.yaml", "meta", "locale", problems)
    if locale and locale != directory.name:
        problems.add("meta.yaml", "meta", "locale", f"says {locale!r} but the folder is {directory.name!r}")
    sources = meta.get("sources") if isinstance(meta.get("sources"), dict) else {}
    if not sources:
        problems.add("meta.yaml", "meta", "sources", "must map each short source name to its document")
    groups, index = _categories(raw_categories, problems) if raw_categories is not None else ([], {})
    terms, allowed = _terms(raw_terms, problems) if raw_terms is not None else ([], [])
    agencies = _agencies(raw_agencies, problems) if raw_agencies is not None else []
    # Every source cited must be one of the short names the meta file explains.
    for file, entries in (
        ("categories.yaml", list(index.values())),
        ("terms.yaml", terms),
        ("agencies.yaml", agencies),
    ):
        for item in entries:
            for name in re.findall(r"\b[A-Z]{2,6}\b", item.source or ""):
                if sources and name not in sources:
                    problems.add(file, item.id, "source", f"cites {name!r}, which meta.yaml does not define")
    protocols = {}
    try:
        protocols = load_protocols(
            directory / "protocols", categories=set(index), agencies={agency.id for agency in agencies}
        )
    except ProtocolError as error:
        problems.items.extend(f"protocols/{problem}" for problem in error.problems)
    if problems.items:
        raise VocabularyError(problems.items)
    return Vocabulary(
        locale=locale,
        version=version,
        sources={str(k): str(v) for k, v in sources.items()},
        groups=groups,
        categories=index,
        terms=terms,
        allowed=allowed,
        agencies=agencies,
        protocols=protocols,
    )
