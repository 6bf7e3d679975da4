"""Where the project's non-Python resources live, in a checkout and in an installed wheel.

In a checkout (and an editable install) the templates, migrations and vocabulary sit at the top level of the
repository, beside the package, as the design card lays out. A built wheel carries copies of them inside the
package under ``_data/``. Every module asks here rather than guessing.
"""

from __future__ import annotations

import functools
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@functools.cache
def resource_dir(name: str) -> Path:
    """Return the folder holding the top-level resource ``name`` (``templates``, ``migrations``, ``terminology``).

    Kept once found: the vocabulary is looked up through it several times a page, and an install does not move.
    """
    bundled = PACKAGE_DIR / "_data" / name
    if bundled.is_dir():
        return bundled
    return PACKAGE_DIR.parent / name
