"""Reviewed data files (the vocabulary, the protocols): YAML read and validated against a pydantic schema.

Every problem is reported as ``file: entry: field: message``, so that a reviewer can fix a file without reading
code: the entry is named by its ``id`` (or by its position when it has none) and the field by its key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import ErrorDetails

SchemaT = TypeVar("SchemaT", bound="Schema")
# The C parser reads the same YAML several times faster; the pure-Python one serves where libyaml is missing.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# pydantic's error types in the words a reviewer reads. Errors raised by our own validators keep their message.
_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "string_type": "must be text",
    "string_too_short": "must not be empty",
    "bool_type": "must be true or false",
    "date_type": "must be a date (YYYY-MM-DD)",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
}


class DataFileError(ValueError):
    """Data files are invalid; ``problems`` lists each one as ``file: entry: field: message``."""

    title = "invalid data files"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{self.title}:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


def problem(file: str, entry: str, field: str, message: str) -> str:
    """One problem in the form every data-file check reports."""
    return f"{file}: {entry}: {field}: {message}"


class Schema(BaseModel):
    """The shape of a data file or of one of its entries.

    Unknown keys are refused (a misspelt key would otherwise be ignored in silence), text is stripped, numbers
    are accepted as text (``version: 2026.11`` is text to a reviewer), and a null or blank value counts as absent.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, str_min_length=1, coerce_numbers_to_str=True
    )
    # On a file's schema: the lists holding entries, each with the noun an entry is named by when it has no id.
    entry_lists: ClassVar[Mapping[str, str]] = {}
    # Lists whose items belong to the entry around them (a step's answers): the message says which item.
    part_lists: ClassVar[Mapping[str, str]] = {}
    # What the file's own fields are reported under.
    file_entry: ClassVar[str] = "(file)"

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {key: value for key, value in data.items() if value is not None and not _blank(value)}


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def at_least_one(message: str) -> AfterValidator:
    """For ``Annotated[list[...], at_least_one("must list ...")]``: a list that must not be empty, and what to say."""

    def check(items: Any) -> Any:
        if not items:
            raise ValueError(message)
        return items

    return AfterValidator(check)


@dataclasses.dataclass
class _Place:
    """Where in a file an error is: the entry, the field, the keys below the field, the part of the entry."""

    entry: str
    field: str | None = None
    below: list[str] = dataclasses.field(default_factory=list)
    part: str = ""

    def add(self, key: str) -> None:
        """One key further down: the field, or a key below it."""
        if self.field is None:
            self.field = key
        else:
            self.below.append(key)


def _child(node: Any, key: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and key < len(node):
        return node[key]
    return None


def _ident(item: Any) -> str | None:
    ident = item.get("id") if isinstance(item, dict) else None
    return str(ident).strip() if isinstance(ident, str | int) and str(ident).strip() else None


def _place(schema: type[Schema], data: Any, loc: tuple[str | int, ...]) -> _Place:
    """Follow an error's location through the file, naming each entry it passes by its id or its position."""
    if not loc:
        return _Place("(file)", "(file)")
    place = _Place(schema.file_entry)
    node: Any = data
    parent = ""
    for key in loc:
        node = _child(node, key)
        if isinstance(key, str):
            place.add(key)
        elif parent in schema.entry_lists:
            position = f"{schema.entry_lists[parent]} {key + 1}"
            outer = "" if place.entry == schema.file_entry else f"{place.entry} "
            place = _Place(_ident(node) or outer + position)
        elif parent in schema.part_lists:
            ident = _ident(node)
            part = f"{schema.part_lists[parent]} {ident!r}" if ident else f"{schema.part_lists[parent]} {key + 1}"
            place = _Place(place.entry, part=f" ({part})")
        parent = key if isinstance(key, str) else ""
    return place


def _message(error: ErrorDetails) -> str:
    if error["type"] == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if error["type"] == "literal_error":
        return "must be " + str(error.get("ctx", {}).get("expected", "")).replace("'", "")
    return _MESSAGES.get(error["type"], error["msg"])


def problems_from(error: ValidationError, schema: type[Schema], data: Any, file: str) -> list[str]:
    """Each of pydantic's errors as ``file: entry: field: message``, the entry named from the file's data."""
    problems = []
    for details in error.errors(include_url=False):
        place = _place(schema, data, details["loc"])
        message = _message(details)
        # A validator of ours writes a whole sentence about the value; a generic message needs the key it is about.
        if place.below and details["type"] != "value_error":
            message = f"{'.'.join(place.below)} {message}"
        problems.append(problem(file, place.entry, place.field or "(entry)", message + place.part))
    return problems


def read_yaml(path: Path) -> Any:
    """The parsed contents of a YAML file; :class:`DataFileError` when it is missing or not valid YAML."""
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_LOADER)  # noqa: S506 (_LOADER is a safe loader)
    except FileNotFoundError:
        message = "the file is missing"
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        message = f"not valid YAML: {error}".replace("\n", " ")
    except OSError as error:
        message = f"cannot be read: {error.strerror}"
    raise DataFileError([problem(path.name, "(file)", "(file)", message)])


def load(schema: type[SchemaT], path: Path) -> SchemaT:
    """Read ``path`` and validate it against ``schema``; :class:`DataFileError` lists every problem."""
    data = read_yaml(path)
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise DataFileError(problems_from(error, schema, data, path.name)) from None


def duplicate_ids(file: str, entries: Iterable[Any]) -> list[str]:
    """A problem for each entry whose ``id`` an earlier entry already has."""
    seen: set[str] = set()
    problems = []
    for entry in entries:
        if entry.id in seen:
            problems.append(problem(file, entry.id, "id", "is a duplicate id"))
        seen.add(entry.id)
    return problems
