"""Every model, imported in one place so that the metadata is complete (for Alembic and the app)."""

from safeguard.access.models import RecordAccess
from safeguard.adults.models import (
    AdultConcern,
    AdultConcernAccess,
    AdultConcernChild,
    AdultConcernEntry,
    AdultSettings,
)
from safeguard.api.models import ApiToken, IdempotentAnswer
from safeguard.audit.models import AuditEvent
from safeguard.auth.models import Membership, Passkey, RecoveryCode, SchoolSignIn, SignInProvider, User, UserRole
from safeguard.bodymap.models import BodyMark
from safeguard.calendar.models import CalendarPeriod
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
from safeguard.retention.models import Disposal, DisposedConcern, LegalHold, RetentionPeriod, RetentionReview
from safeguard.sar.models import SarEvent, SarRedaction, SubjectAccessRequest
from safeguard.schools.models import School
from safeguard.transfers.models import (
    ReceivedTransfer,
    SchoolKey,
    SentTransfer,
    TransferPartner,
    TransferredConcern,
    TransferredEntry,
)
from safeguard.trusts.models import Trust, TrustAccessGrant, TrustConcernLink, TrustSchool

__all__ = [
    "AdultConcern",
    "AdultConcernAccess",
    "AdultConcernChild",
    "AdultConcernEntry",
    "AdultSettings",
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "BodyMark",
    "CalendarPeriod",
    "Concern",
    "ConcernCategory",
    "ConcernEvent",
    "ConcernLink",
    "ConcernPupil",
    "ConcernSequence",
    "Disposal",
    "DisposedConcern",
    "Export",
    "FollowUp",
    "IdempotentAnswer",
    "LegalHold",
    "Membership",
    "MonitoringAlert",
    "Notification",
    "OutboxMessage",
    "Passkey",
    "Pupil",
    "PupilContact",
    "ReceivedTransfer",
    "RecordAccess",
    "RecoveryCode",
    "RetentionPeriod",
    "RetentionReview",
    "SarEvent",
    "SarRedaction",
    "School",
    "SchoolKey",
    "SchoolSignIn",
    "SentTransfer",
    "SignInProvider",
    "SubjectAccessRequest",
    "TransferPartner",
    "TransferredConcern",
    "TransferredEntry",
    "Trust",
    "TrustAccessGrant",
    "TrustConcernLink",
    "TrustSchool",
    "User",
    "UserRole",
    "WorkerHeartbeat",
]
