"""Fixtures for the concern workflow: pupils, and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def pupils(school):
    """Three pupils at the first school."""
    return [
        factories.pupil(school.school, "Amira", "Haddad", child_in_need=True),
        factories.pupil(school.school, "Oliver", "Bennett"),
        factories.pupil(school.school, "Zoë", "Kowalczyk"),
    ]


class Mailbox:
    """Messages received by the local SMTP server."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted for delivery"


@pytest.fixture
def mailbox(app):
    """A real SMTP server on a free port of 127.0.0.1; the app is pointed at it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port)
    yield box
    controller.stop()
