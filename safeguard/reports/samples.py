"""Regenerate the sample documents in ``docs/samples`` from the demo school: ``python -m safeguard.reports.samples``.

Builds a throw-away SQLite database with the migrations, seeds the demo school, exports one document of each
kind, and renders the first page of each as a PNG (with poppler's ``pdftoppm``, when installed).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import select


def main(out: str = "docs/samples") -> None:
    """Write the samples into ``out``."""
    from safeguard import create_app
    from safeguard.concerns.models import Concern
    from safeguard.demo import seed_demo
    from safeguard.exports import services
    from safeguard.extensions import db
    from safeguard.pupils.models import Pupil
    from safeguard.schools.services import find_school

    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/demo.sqlite"})
        with app.app_context():
            upgrade()
            seed_demo()
            db.session.commit()
            school = find_school("OAK")
            concern = db.session.scalars(select(Concern).order_by(Concern.id)).first()
            amira = db.session.scalar(select(Pupil).where(Pupil.legal_first_name == "Amira"))
            zoe = db.session.scalar(select(Pupil).where(Pupil.legal_first_name == "Zoë"))
            today = date.today()
            documents = {
                "concern-report.pdf": services.export_concern(
                    concern, None, "Sample: referral to children's social care"
                ),
                "child-file.pdf": services.export_child_file(
                    zoe, None, "Sample: request from a receiving school", False
                ),
                "transfer-record.pdf": services.export_transfer(
                    amira, None, "Riverside Academy", "Secure e-mail to the DSL"
                ),
                "period-summary.pdf": services.export_summary(
                    school, None, today - timedelta(days=90), today, "Sample: termly report to governors"
                ),
            }
            db.session.rollback()
    for name, exported in documents.items():
        (target / name).write_bytes(exported.pdf)
        if shutil.which("pdftoppm"):
            stem = target / name.removesuffix(".pdf")
            subprocess.run(  # noqa: S603 (fixed arguments)
                ["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "1", "-singlefile", str(target / name), str(stem)],  # noqa: S607
                check=True,
            )
        print(f"wrote {target / name}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
