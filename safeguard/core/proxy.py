"""Trusting the reverse proxies in front of the app, so that each request carries its client's own address.

Behind a proxy every request arrives from the proxy's address: the sign-in throttle then counts the whole school
as one client (one person's wrong passwords lock everyone out) and every audit row names the proxy. With
``PROXY_HOPS`` set to the number of proxies in front of the app, werkzeug's ``ProxyFix`` takes the client's address
and scheme from the ``X-Forwarded-For`` and ``X-Forwarded-Proto`` headers those proxies add. Only that many entries
are read, from the right, so a client cannot pose as another address by sending the header itself.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from safeguard.core.config import ConfigError


def apply_proxy_fix(app: Flask) -> None:
    """Wrap the app in ``ProxyFix`` when ``PROXY_HOPS`` names trusted proxies; with 0 (the default) trust none."""
    configured = app.config.get("PROXY_HOPS") or 0
    try:
        hops = int(configured)
    except (TypeError, ValueError):
        hops = -1
    if hops < 0:
        raise ConfigError(
            f"PROXY_HOPS must be the number of reverse proxies in front of Safeguard (0, 1, 2 …), not {configured!r}."
        )
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
