"""Fixtures for the vocabulary tests: a writable copy of the shipped vocabulary to break."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

SOURCE = Path(__file__).resolve().parents[2] / "terminology"


@pytest.fixture
def broken(tmp_path) -> Callable[[str, Callable[[dict], object]], Path]:
    """A writable copy of the vocabulary: ``broken(file, change)`` edits one file and returns the locale folder."""
    shutil.copytree(SOURCE, tmp_path / "terminology")
    folder = tmp_path / "terminology" / "en-GB"

    def edit(name: str, change: Callable[[dict], object]) -> Path:
        path = folder / name
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return folder

    return edit
