"""Every model, imported in one place so that the metadata is complete (for Alembic and the app)."""

from safeguard.adults.models import (
    AdultConcern,
    AdultConcernAccess,
    AdultConcernChild,
    AdultConcernEntry,
    AdultSettings,
)
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
    "AdultConcern",
    "AdultConcernAccess",
    "AdultConcernChild",
    "AdultConcernEntry",
    "AdultSettings",
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
    "RecoveryCode",
    "School",
    "User",
    "UserRole",
    "WorkerHeartbeat",
]
