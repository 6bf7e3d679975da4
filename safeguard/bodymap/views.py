"""The JSON endpoint behind the body map's outlines: which part of the body a tap is on, where a region is drawn."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from safeguard.auth.permissions import Capability, requires
from safeguard.bodymap import services

blueprint = Blueprint("bodymap", __name__, url_prefix="/body-map")


@blueprint.route("/where")
@requires(Capability.SIGNED_IN)
def where():
    """``?view=front&x=0.2&y=0.45`` (a tap) or ``?region=forearm&side=left`` (a choice from the list) → the region,
    its side and name, and the outline and place it is drawn at; ``{"region": null}`` when the tap is on no region.

    The pages' script asks here, so that a tap is read by the same rule the server records it by.
    """
    args = request.args
    found = services.locate(
        view=args.get("view", "")[:10],
        x=args.get("x", "")[:20],
        y=args.get("y", "")[:20],
        region_id=args.get("region", "")[:60],
        side=args.get("side", "")[:5],
    )
    return jsonify(found)
