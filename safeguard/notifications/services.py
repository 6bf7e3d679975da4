"""Alerting the DSL team: in-app notifications and e-mail through the transactional outbox.

E-mails carry the reference, the urgency and a link — never a child's name or the account, because e-mail is
not a secure channel. The outbox row is written in the same transaction as the concern, so an alert can never
be lost between saving and sending; the worker (``flask --app safeguard notify``) delivers it.
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol, TypeAlias, cast

from flask import current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import CursorResult, Integer, Row, bindparam, exists, or_, select, update

from safeguard.auth import permissions
from safeguard.auth.models import User
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.core.statements import transaction_connection
from safeguard.notifications.models import Notification, OutboxMessage
from safeguard.notifications.store import MOST_UNREAD_COUNTED, UNREAD, unread_count

logger = logging.getLogger("safeguard.notifications")

MAX_ATTEMPTS = 12
# Back-off between attempts: 1, 2, 4 … minutes, at most an hour.
BACKOFF_CAP = timedelta(hours=1)
# How long a worker holds the messages it has claimed before another worker may take them up.
CLAIM_LEASE = timedelta(minutes=10)
# A worker starts sending a claimed message only with this much of its claim left: one SMTP exchange (a 15-second
# time-out on each step) fits well within it, so a message is never sent by a worker whose claim has run out.
SEND_MARGIN = timedelta(minutes=3)


# Where a development server noted the address it was last reached at (see remember_served_address).
SERVED_AT_FILE = "served_at"
# Where `flask run` listens unless told otherwise.
FLASK_RUN_DEFAULT = ("127.0.0.1", "5000")


def links_base() -> str:
    """The address e-mail links start with.

    ``BASE_URL`` when it is set (production requires it). In development without it: the address the request was
    made to, when the alert is made in a request; outside one (the worker, the demo), the address ``flask run`` is
    told to listen on (``FLASK_RUN_HOST`` and ``FLASK_RUN_PORT``), else the one this server was last reached at.
    """
    configured = current_app.config.get("BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    if os.environ.get("FLASK_RUN_PORT") or os.environ.get("FLASK_RUN_HOST"):
        host = os.environ.get("FLASK_RUN_HOST") or FLASK_RUN_DEFAULT[0]
        return f"http://{host}:{os.environ.get('FLASK_RUN_PORT') or FLASK_RUN_DEFAULT[1]}"
    try:
        noted = (Path(current_app.instance_path) / SERVED_AT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        noted = ""
    return noted or "http://{}:{}".format(*FLASK_RUN_DEFAULT)


def remember_served_address() -> None:
    """In development (no ``BASE_URL``), note the address this server is reached at, for the e-mails written outside
    a request (see :func:`links_base`). Written only when it changes."""
    if current_app.config.get("BASE_URL"):
        return
    address = request.host_url.rstrip("/")
    if current_app.extensions.get(SERVED_AT_FILE) == address:
        return
    (Path(current_app.instance_path) / SERVED_AT_FILE).write_text(address + "\n", encoding="utf-8")
    current_app.extensions[SERVED_AT_FILE] = address


def concern_link(concern_id: int) -> str:
    """The address of a concern's page, for e-mails."""
    return f"{links_base()}/concerns/{concern_id}"


# Alerts go in as rows, not objects: nothing in the request reads them back, and building and flushing an object per
# row was a tenth of the time of logging a concern. Built once; one INSERT per table, in the caller's transaction.
_ADD_NOTIFICATIONS = Notification.__table__.insert()
_OUTBOX = OutboxMessage.__table__
_ADD_OUTBOX = _OUTBOX.insert()
# Every e-mail's subject starts with the app's name, so that staff can tell (and filter) its alerts; the outbox holds
# 200 characters of it.
_SUBJECT_TAG = "[Safeguard] "


def _queue_mail(addresses: Iterable[str], *, school_id: int, subject: str, body: str) -> None:
    """Queue one e-mail to each of ``addresses`` in the caller's transaction (one statement for them all), its subject
    the tag and then ``subject``, cut to what the outbox holds."""
    tagged = (_SUBJECT_TAG + subject)[:200]
    rows = [{"school_id": school_id, "to_address": address, "subject": tagged, "body": body} for address in addresses]
    if rows:
        transaction_connection().execute(_ADD_OUTBOX, rows)


# A message a worker has claimed: id, to_address, subject, body, attempts (see claim_due).
Claimed: TypeAlias = "Row[int, str, str, str, int]"


class Person(Protocol):
    """Someone to alert: a :class:`User`, or a row with their id and e-mail address."""

    @property
    def id(self) -> int: ...

    @property
    def email(self) -> str: ...


def _wording(reference: str, urgent: bool, headline: str, escalated: bool) -> tuple[str, str, str]:
    """An alert's in-app message, e-mail subject (before its tag) and the e-mail's first lines.

    Escalation and urgency are different things: a routine concern escalated because nobody acknowledged it in time
    is still a routine concern, and each alert says which it is.
    """
    if escalated:
        urgency = "urgent" if urgent else "routine"
        what = f"Escalated: {reference} {headline.lower()}"
        lines = (
            f"Escalated: {headline.lower()}.\n\n"
            f"Reference: {reference}\n"
            f"Urgency: {urgency.capitalize()} (the concern's own urgency; it is escalated because it was not "
            "acknowledged by the time it was due)\n"
        )
        # The in-app line and the e-mail's subject say the same.
        said = f"{what} ({urgency} concern)"
        return said, said, lines
    urgency = "URGENT" if urgent else "Routine"
    lines = f"{headline}.\n\nReference: {reference}\nUrgency: {urgency}\n"
    return f"{headline}: {reference} ({urgency.lower()})", f"{urgency}: {headline} {reference}", lines


def alert(
    recipients: Iterable[Person],
    *,
    school_id: int,
    concern_id: int,
    reference: str,
    urgent: bool,
    headline: str,
    escalated: bool = False,
    in_app_only: Iterable[Person] = (),
) -> int:
    """Notify each recipient in the app and queue an e-mail; return how many people were alerted by e-mail.

    :param urgent: the concern's own urgency (a child in immediate danger, or an urgent category).
    :param headline: what happened, without any child's name (for example "New concern logged").
    :param escalated: the alert escalates a concern nobody acknowledged in time (said apart from its urgency).
    :param in_app_only: people alerted in the app but not by e-mail (a DSL who is away: they see it on return).
    """
    people = list(recipients)
    in_app = people + list(in_app_only)
    if not in_app:
        return 0
    message, subject, lines = _wording(reference, urgent, headline, escalated)
    body = (
        f"{lines}\n"
        f"Open it in Safeguard: {concern_link(concern_id)}\n\n"
        "For confidentiality this e-mail holds no names or details. Sign in to read the concern.\n"
    )
    connection = transaction_connection()
    connection.execute(
        _ADD_NOTIFICATIONS,
        [
            {
                "school_id": school_id,
                "user_id": user.id,
                "concern_id": concern_id,
                "urgent": urgent,
                "message": message,
            }
            for user in in_app
        ],
    )
    _queue_mail((user.email for user in people), school_id=school_id, subject=subject, body=body)
    return len(people)


def alert_linked(
    recipients: Iterable[Person],
    *,
    school_id: int,
    path: str,
    message: str,
    subject: str,
    lines: str,
    in_app_only: Iterable[Person] = (),
    urgent: bool = True,
) -> int:
    """Notify each recipient in the app and queue an e-mail about something that is not (yet) a concern, such as a
    severity 5 monitoring alert or a concern about an adult; return how many people were alerted by e-mail.

    :param path: the page the alert leads to (``/monitoring/alerts/12``), in the app and in the e-mail; opening it
        reads the alert (:func:`mark_link_read`).
    :param message: the in-app line, and ``subject`` (tagged here as every e-mail's is) and ``lines`` the e-mail's:
        never a child's name, an adult's name or what anyone wrote.
    :param urgent: listed first among the person's alerts.
    """
    people = list(recipients)
    in_app = people + list(in_app_only)
    if not in_app:
        return 0
    body = (
        f"{lines}\n"
        f"Open it in Safeguard: {links_base()}{path}\n\n"
        "For confidentiality this e-mail holds no names or details. Sign in to read it.\n"
    )
    connection = transaction_connection()
    connection.execute(
        _ADD_NOTIFICATIONS,
        [
            {
                "school_id": school_id,
                "user_id": user.id,
                "concern_id": None,
                "urgent": urgent,
                "message": message,
                "link": path,
            }
            for user in in_app
        ],
    )
    _queue_mail((user.email for user in people), school_id=school_id, subject=subject, body=body)
    return len(people)


def mark_link_read(user: User, path: str) -> int:
    """Mark as read the person's alerts that lead to ``path`` (they opened it); return how many."""
    statement = (
        update(Notification)
        .where(Notification.user_id == user.id, Notification.link == path, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    result = cast(CursorResult[Any], transaction_connection().execute(statement))
    return result.rowcount


def alert_outside(
    address: str, *, school_id: int, school_name: str, reference: str, urgent: bool, escalated_at: str
) -> None:
    """Queue an e-mail to someone outside the school (the trust's safeguarding lead, the local authority's contact)
    about a concern still not acknowledged after its escalation: the reference and the urgency only, never a name or
    a link (they do not sign in here).

    :param escalated_at: when every DSL and the head were alerted, written in the school's time zone.
    """
    urgency = "URGENT" if urgent else "Routine"
    body = (
        f"A safeguarding concern at {school_name} has not been acknowledged by the school's DSL team, although every "
        f"DSL and the head were alerted ({escalated_at}).\n\n"
        f"Reference: {reference}\nUrgency: {urgency}\n\n"
        "You are the school's next step for such a concern: please contact the school's DSL team or head now.\n"
        "For confidentiality this e-mail holds no names or details.\n"
    )
    _queue_mail(
        [address],
        school_id=school_id,
        subject=f"{urgency}: concern {reference} at {school_name} not acknowledged",
        body=body,
    )


def alert_about_account(recipients: Iterable[Person], *, school_id: int, message: str, lines: str) -> None:
    """Alert people about an account (a role change proposed or made, a reset): in the app, and by an e-mail that
    names no one and links to the sign-in page only.

    :param message: the in-app line (it may name the account: the app is the secure channel).
    :param lines: the e-mail's first lines: what happened, without a name.
    """
    people = list(recipients)
    if not people:
        return
    connection = transaction_connection()
    connection.execute(
        _ADD_NOTIFICATIONS,
        [
            {
                "school_id": school_id,
                "user_id": person.id,
                "concern_id": None,
                "urgent": False,
                "message": message[:300],
            }
            for person in people
        ],
    )
    body = (
        f"{lines}\n\nSign in to Safeguard to see who and what: {links_base()}/\n\n"
        "For confidentiality this e-mail holds no names or details. If you did not expect it, tell your DSL team and "
        "head now.\n"
    )
    _queue_mail((person.email for person in people), school_id=school_id, subject="Account security", body=body)


def send_email(address: str, *, school_id: int, subject: str, body: str) -> None:
    """Queue one e-mail (a one-time link to its owner) in the caller's transaction; ``subject`` is tagged here as every
    e-mail's is."""
    _queue_mail([address], school_id=school_id, subject=subject, body=body)


def mark_account_alerts_read(user: User) -> None:
    """Mark the person's alerts about accounts read: the list of alerts shows all there is to them."""
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.concern_id.is_(None), Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


# Counted for the menu on every page a signed-in person opens: built once.
_IS_UNREAD = (Notification.user_id == bindparam("user_id"), UNREAD)
_UNREAD = unread_count(bindparam("user_id"))
_UNREAD_LIST = (
    select(Notification)
    .where(*_IS_UNREAD)
    .order_by(Notification.urgent.desc(), Notification.created_at.desc())
    .limit(bindparam("limit", type_=Integer(), literal_execute=True))
)


def _person(user: User) -> dict[str, Any]:
    """The values of the unread statements for ``user``: who, and what they may see now."""
    return {"user_id": user.id} | permissions.viewer(user, utcnow()).values()


def unread(user: User, limit: int = 20) -> list[Notification]:
    """The user's unread notifications (about what they may see), urgent first, newest first."""
    return list(db.session.scalars(_UNREAD_LIST, _person(user) | {"limit": limit}))


def unread_alert_count() -> int:
    """How many unread alerts the signed-in person has (shown in the menu), counted once per request."""
    if "unread_alerts" not in g:
        g.unread_alerts = transaction_connection().scalar(_UNREAD, _person(current_user))
    count: int = g.unread_alerts
    return count


def unread_badge(count: int) -> str:
    """The menu's number of unread alerts: the count, or "99+" when there are more than it counts."""
    return f"{MOST_UNREAD_COUNTED - 1}+" if count >= MOST_UNREAD_COUNTED else str(count)


def remember_unread_alert_count(count: int) -> None:
    """Record the signed-in person's unread alerts when a page has already counted them with its own reads (the
    queue does, in its one statement for what surrounds it), so that the menu does not count them again."""
    g.unread_alerts = count


# The count once the alerts about one concern are read, and whether there are any to mark.
_ABOUT: Any = bindparam("concern_id")
_UNREAD_BESIDES_AND_ABOUT = select(
    unread_count(
        bindparam("user_id"), or_(Notification.concern_id.is_(None), Notification.concern_id != _ABOUT)
    ).scalar_subquery(),
    exists().where(*_IS_UNREAD, Notification.concern_id == _ABOUT),
)


def mark_read(user: User, concern_id: int) -> int:
    """Mark the user's notifications about a concern as read (they have opened it); return how many unread alerts
    they have left, for the menu.

    Counted first, and written only when one of them is about this concern: most views of a concern find nothing
    to mark, and the update took SQLite's database-wide write lock at the start of the page, so that every other
    worker's page waited for this one to render (p95 above a second on the concern page under load).
    """
    values = _person(user) | {"concern_id": concern_id}
    left, about = transaction_connection().execute(_UNREAD_BESIDES_AND_ABOUT, values).one()
    if about:
        db.session.execute(
            update(Notification)
            .where(
                Notification.user_id == user.id, Notification.concern_id == concern_id, Notification.read_at.is_(None)
            )
            .values(read_at=utcnow())
        )
    return int(left)


def smtp_sender() -> Callable[[EmailMessage], None]:
    """Return a function that sends one message over the configured SMTP server."""
    config = current_app.config

    def send(message: EmailMessage) -> None:
        with smtplib.SMTP(config["MAIL_HOST"], int(config["MAIL_PORT"]), timeout=15) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)

    return send


def deliver_outbox(
    now: datetime | None = None, send: Callable[[EmailMessage], None] | None = None, batch: int = 100
) -> tuple[int, int]:
    """Send the messages that are due; return ``(sent, retried)``. Each message is committed on its own.

    The worker first claims the messages it will send (see :func:`claim_due`), so that workers running at once
    never send the same e-mail twice. A failure leaves the message in the outbox with its next attempt pushed back
    (1, 2, 4 … minutes, at most an hour); after :data:`MAX_ATTEMPTS` it is parked with its last error, and the
    in-app alert still stands.

    :param now: the time messages are due by (tests move it on); the lease is kept on this machine's clock.
    :param send: sends one message (SMTP by default).
    """
    now = now or utcnow()
    send = send or smtp_sender()
    token = secrets.token_hex(16)
    claimed = claim_due(now, token, batch)
    # Measured from the claim, not from `now`: how long this worker may still start sending what it holds.
    deadline = time.monotonic() + (CLAIM_LEASE - SEND_MARGIN).total_seconds()
    sent = retried = 0
    for index, message in enumerate(claimed):
        if time.monotonic() > deadline:
            _release(claimed[index:], token)
            break
        if _deliver(message, token, now, send):
            sent += 1
        else:
            retried += 1
    return sent, retried


def claim_due(now: datetime, token: str, batch: int) -> list[Claimed]:
    """Claim up to ``batch`` messages that are due and that no other worker holds, and commit the claim.

    On PostgreSQL the rows another worker is claiming at the same moment are skipped (``FOR UPDATE SKIP
    LOCKED``); SQLite lets one writer in at a time, so the one statement that finds and claims the rows runs whole
    before another worker's. A claim lasts :data:`CLAIM_LEASE`: a worker that stops before recording what became
    of a message leaves it to be taken up again once its claim has run out.
    """
    due = (
        select(_OUTBOX.c.id)
        .where(
            _OUTBOX.c.sent_at.is_(None),
            _OUTBOX.c.failed_at.is_(None),
            _OUTBOX.c.next_attempt_at <= now,
            or_(_OUTBOX.c.claimed_until.is_(None), _OUTBOX.c.claimed_until < now),
        )
        .order_by(_OUTBOX.c.next_attempt_at, _OUTBOX.c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(due.scalar_subquery()))
        .values(claim_token=token, claimed_until=now + CLAIM_LEASE)
        .returning(_OUTBOX.c.id, _OUTBOX.c.to_address, _OUTBOX.c.subject, _OUTBOX.c.body, _OUTBOX.c.attempts)
    )
    claimed = sorted(db.session.execute(claim).all(), key=lambda row: row.id)
    db.session.commit()
    return claimed


def _deliver(message: Claimed, token: str, now: datetime, send: Callable[[EmailMessage], None]) -> bool:
    """Send one claimed message and record the outcome under the claim; return whether it was sent."""
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email.set_content(message.body)
    attempts = message.attempts + 1
    outcome: dict[str, object] = {"attempts": attempts, "claim_token": None, "claimed_until": None}
    try:
        send(email)
    except (OSError, smtplib.SMTPException) as error:
        outcome["last_error"] = f"{type(error).__name__}: {error}"[:500]
        outcome["next_attempt_at"] = now + min(timedelta(minutes=2 ** (attempts - 1)), BACKOFF_CAP)
        if attempts >= MAX_ATTEMPTS:
            outcome["failed_at"] = now
        logger.warning("outbox message %s not delivered (attempt %s): %s", message.id, attempts, error)
    else:
        outcome["sent_at"] = utcnow()
    # An UPDATE's result is a cursor's, with its rowcount (Session.execute is typed for any statement).
    recorded = cast(
        "CursorResult[Any]",
        db.session.execute(
            update(_OUTBOX).where(_OUTBOX.c.id == message.id, _OUTBOX.c.claim_token == token).values(outcome)
        ),
    )
    db.session.commit()
    if not recorded.rowcount:
        logger.warning("outbox message %s: the claim ran out before its outcome was recorded", message.id)
    return "sent_at" in outcome


def _release(messages: list[Claimed], token: str) -> None:
    """Give back claimed messages this worker no longer has time to send, for the next pass to take."""
    db.session.execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_([message.id for message in messages]), _OUTBOX.c.claim_token == token)
        .values(claim_token=None, claimed_until=None)
    )
    db.session.commit()
