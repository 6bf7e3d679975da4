"""Every model, imported in one place so that the metadata is complete (for Alembic and the app)."""

from safeguard.audit.models import AuditEvent
from safeguard.auth.models import User, UserRole
from safeguard.schools.models import School

__all__ = ["AuditEvent", "School", "User", "UserRole"]
