"""The export log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class Export(Model):
    """One exported document: what, for whom, by whom, and the digest of the record content it held."""

    __tablename__ = "exports"
    __table_args__ = (
        Index("ix_exports_digest", "digest"),
        Index("ix_exports_file_sha256", "file_sha256"),
        Index("ix_exports_school_id_at", "school_id", "generated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # concern | child_file | transfer | summary
    kind: Mapped[str] = mapped_column(String(20))
    # The concern id or pupil id the document is about (none for a period summary).
    subject_id: Mapped[int | None] = mapped_column(BigId)
    # Parameters needed to rebuild the same document (period dates, receiving school).
    parameters: Mapped[str] = mapped_column(String(500), default="")
    # Digest of the record content as exported (also embedded in the PDF): compared with the record now.
    digest: Mapped[str] = mapped_column(String(64))
    # SHA-256 of the PDF file itself: an unaltered copy is recognised byte for byte.
    file_sha256: Mapped[str] = mapped_column(String(64))
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The name printed on the document as its author, kept as it was: a later change of name, or an export from
    # the command line (no account), must not make the document look altered. Empty on exports made before 0006.
    generated_by_name: Mapped[str | None] = mapped_column(String(200))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(String(500))
    # The DSL chose to show other children's names for this referral (otherwise they are redacted).
    include_other_children: Mapped[bool] = mapped_column(Boolean, default=False)
