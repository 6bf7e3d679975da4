"""Transfer pages."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("transfers", __name__, url_prefix="/transfers")
