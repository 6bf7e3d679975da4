"""Every model, imported in one place so that the metadata is complete (for Alembic and the app)."""

from safeguard.access.models import RecordAccess
from safeguard.audit.models import AuditEvent
from safeguard.auth.models import RecoveryCode, User, UserRole
from safeguard.bodymap.models import BodyMark
from safeguard.concerns.models import (
    Attachment,
    Concern,
    ConcernCategory,
    ConcernEvent,
    ConcernLink,
    ConcernPupil,
    ConcernSequence,
    FollowUp,
)
from safeguard.exports.models import Export
from safeguard.notifications.models import Notification, OutboxMessage, WorkerHeartbeat
from safeguard.pupils.models import Pupil
from safeguard.schools.models import School

__all__ = [
    "Attachment",
    "AuditEvent",
    "BodyMark",
    "Concern",
    "ConcernCategory",
    "ConcernEvent",
    "ConcernLink",
    "ConcernPupil",
    "ConcernSequence",
    "Export",
    "FollowUp",
    "Notification",
    "OutboxMessage",
    "Pupil",
    "RecordAccess",
    "RecoveryCode",
    "School",
    "User",
    "UserRole",
    "WorkerHeartbeat",
]
