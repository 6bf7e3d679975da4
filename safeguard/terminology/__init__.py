"""The controlled vocabulary and the correct-terminology checker.

``get_vocabulary()`` loads and validates ``terminology/<locale>/`` once and caches it with its compiled checker;
``check_text()`` returns the findings in a text. The app, the CLI and the tests all use these.
"""

from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app, has_app_context
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms is at 3.2

from safeguard.core.paths import resource_dir
from safeguard.terminology.checker import Checker, Finding, quoted_spans
from safeguard.terminology.loader import VocabularyError, load_vocabulary
from safeguard.terminology.model import Agency, Category, Term, Vocabulary

__all__ = [
    "Agency",
    "Category",
    "Checker",
    "Finding",
    "Term",
    "Vocabulary",
    "VocabularyError",
    "category_choices",
    "check_text",
    "checker_for",
    "get_vocabulary",
    "quoted_spans",
    "wording_problems",
]

DEFAULT_LOCALE = "en-GB"
# By the folder as configured and the locale: looked up several times a page, so never resolved on disk for a hit.
_cache: dict[tuple[Path, str], tuple[Vocabulary, Checker]] = {}
_lock = threading.Lock()


def vocabulary_root() -> Path:
    """The folder holding one sub-folder per locale (``TERMINOLOGY_DIR`` overrides it, for tests)."""
    if has_app_context() and current_app.config.get("TERMINOLOGY_DIR"):
        return Path(current_app.config["TERMINOLOGY_DIR"])
    return resource_dir("terminology")


def _load(locale: str) -> tuple[Vocabulary, Checker]:
    key = (vocabulary_root(), locale)
    cached = _cache.get(key)
    if cached is None:
        with _lock:
            cached = _cache.get(key)
            if cached is None:
                vocabulary = load_vocabulary((key[0] / locale).resolve())
                cached = (vocabulary, Checker(vocabulary.terms, vocabulary.allowed))
                _cache[key] = cached
    return cached


def get_vocabulary(locale: str = DEFAULT_LOCALE) -> Vocabulary:
    """The validated vocabulary of ``locale``; raises :class:`VocabularyError` if the files are invalid."""
    return _load(locale)[0]


def checker_for(locale: str = DEFAULT_LOCALE) -> Checker:
    """The compiled checker of ``locale``'s vocabulary (built once per version)."""
    return _load(locale)[1]


def clear_cache() -> None:
    """Forget loaded vocabularies (after the files change, and in tests)."""
    with _lock:
        _cache.clear()


def check_text(text: str, locale: str = DEFAULT_LOCALE) -> list[Finding]:
    """Find terms to avoid or use with caution in ``text``, outside quotation marks."""
    return checker_for(locale).check(text or "")


def wording_problems(text: str, kept_reason: str | None, locale: str = DEFAULT_LOCALE) -> list[str]:
    """Messages for each term to avoid in ``text``, unless the writer gave a reason to keep them.

    This is the server-side gate every free-text form uses (with or without JavaScript): a form with a text
    field and a "reason for keeping these words" field calls it on submit and shows the messages beside the
    text field. Caution findings never block. An empty list means the text may be saved.
    """
    if kept_reason and kept_reason.strip():
        return []
    messages = []
    for finding in check_text(text, locale):
        if finding.severity == "avoid":
            preferred = " or ".join(f"“{p}”" for p in finding.preferred)
            messages.append(
                f"“{finding.text}”: use {preferred} instead. {finding.reason} "
                "If you must keep these words, give the reason below."
            )
    return messages


def category_choices(vocabulary: Vocabulary) -> list[SelectChoice]:
    """Choices for a category field: every category a concern can be filed under, grouped."""
    return [
        SelectChoice(child.id, child.label, optgroup=group.label)
        for group in vocabulary.groups
        for child in group.children
    ]
