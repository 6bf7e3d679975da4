"""PDF documents for outside agencies, built with ReportLab from plain data (:mod:`safeguard.reports.data`).

Views and the command line only send or save the bytes these functions return.
"""

from safeguard.reports.base import content_digest, read_verification, verification_code
from safeguard.reports.documents import (
    build_child_file,
    build_concern_report,
    build_period_summary,
    build_transfer_record,
)

__all__ = [
    "build_child_file",
    "build_concern_report",
    "build_period_summary",
    "build_transfer_record",
    "content_digest",
    "read_verification",
    "verification_code",
]
