"""How people are found by name: one normalisation, for the key each pupil is stored with and for what is typed.

"Siobhan" finds Siobhán, "Zoe" Zoë, "Lukasz" Łukasz, "oconnell" O'Connell and "Mo Rahman" Mohammed Rahman. Letters
lose their case and accents, apostrophes go, and hyphens and spaces split a name into words (kept whole too, so
"smithjones" finds Smith-Jones as "jones" does, and "connell" finds O'Connell as "oconnell" does). Each word typed must begin a word of the key, in any order.

The key is computed here, in Python, and stored with the row (``pupils.search_key``); a search compares it with
``LIKE`` patterns computed here too. So SQLite and PostgreSQL match alike, neither needs an accent function or an
extension, and the rule is written once. The function depends on the standard library only: migration 0009 uses it
to fill the keys of rows that existed before the column.
"""

from __future__ import annotations

import re
import unicodedata

# Letters Unicode does not decompose into a base letter and an accent, with the letters people type for them.
_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h", "ŀ": "l"}
)
_APOSTROPHES = re.compile("['’‘`ʼ´]")
# Anything that is not a letter or a digit, in any script, separates words.
_SEPARATORS = re.compile(r"[\W_]+")
# A search uses at most this many words (a name rarely has more; the statement has this many places for them).
MAX_WORDS = 4
# The longest key: three names of 100 characters, each as words and whole, and the UPN.
KEY_LENGTH = 700


def fold(text: str) -> str:
    """``text`` in lower case, without accents or apostrophes: "Siobhán O'Connell" is "siobhan oconnell"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    return _APOSTROPHES.sub("", plain.translate(_LETTERS))


def words(text: str) -> list[str]:
    """The words of ``text`` once folded, in order, each once."""
    return list(dict.fromkeys(word for word in _SEPARATORS.split(fold(text)) if word))


def search_key(*names: str | None) -> str:
    """The key a record is found by: every word of every name, and each name of several words also whole, folded.

    It starts with a space, so that a word's beginning is always ``" " + word`` (see :func:`search_patterns`).
    """
    found: list[str] = []
    for name in names:
        parts = words(name or "")
        found += parts
        # "O'Connell" is found by "oconnell" and by "connell"; "Smith-Jones" by "smith", "jones" and "smithjones".
        found += words(_APOSTROPHES.sub(" ", name or ""))
        if len(parts) > 1:
            found.append("".join(parts))
    return (" " + " ".join(dict.fromkeys(found)))[:KEY_LENGTH]


def search_patterns(text: str) -> list[str]:
    """``LIKE`` patterns for what someone typed: one per word (at most :data:`MAX_WORDS`), each matching a key with a
    word that begins with it. Folded words hold only letters and digits, so no pattern holds a wildcard of its own.
    """
    return [f"% {word}%" for word in words(text)[:MAX_WORDS]]
