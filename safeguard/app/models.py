"""Every model, imported in one place so that the metadata is complete (for Alembic and the app)."""

from safeguard.api.models import ApiToken, IdempotentAnswer
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
from safeguard.monitoring.models import MonitoringAlert
from safeguard.notifications.models import Notification, OutboxMessage, WorkerHeartbeat
from safeguard.pupils.models import Pupil, PupilContact
from safeguard.schools.models import School

__all__ = [
    "ApiToken",
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
    "IdempotentAnswer",
    "MonitoringAlert",
    "Notification",
    "OutboxMessage",
    "Pupil",
    "PupilContact",
    "RecoveryCode",
    "School",
    "User",
    "UserRole",
    "WorkerHeartbeat",
]
