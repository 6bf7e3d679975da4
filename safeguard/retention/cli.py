"""``flask --app safeguard retention review``, ``retention report`` and ``retention lint``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup

from safeguard.core.extensions import db
from safeguard.retention import services, store
from safeguard.retention.schedule import ScheduleError, clear_cache, load_schedule
from safeguard.sar import services as sar_services
from safeguard.terminology import VocabularyError, vocabulary_root
from safeguard.terminology.loader import load_vocabulary

retention_cli = AppGroup("retention", help="Retention reviews, the governors' report, and the schedule's check.")


@retention_cli.command("review")
def review() -> None:
    """Open a review for each file that came due and alert the lead DSL; delete e-mails past their period; alert the
    lead DSL about overdue subject access requests. Safe to run from cron: running it again opens nothing twice."""
    now = services.now()
    total = 0
    for school in store.schools():
        opened = services.open_due_reviews(school, now)
        for item in opened:
            click.echo(f"{school.code}: opened a retention review of the file of UPN {item.upn} (due {item.due_on})")
        deleted = services.delete_expired_messages(school, now)
        overdue = sar_services.alert_overdue(school, now)
        if deleted:
            click.echo(f"{school.code}: deleted {deleted} e-mail(s) past the outbox's retention period")
        for reference in overdue:
            click.echo(f"{school.code}: subject access request {reference} is overdue: the lead DSL was alerted")
        total += len(opened)
    db.session.commit()
    click.echo(f"{total} retention review(s) opened")


def _period(value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("write dates as YYYY-MM-DD") from None


@retention_cli.command("report")
@click.option("--school", "code", default=None, help="A school's code (default: every school).")
@click.option("--from", "start", default=None, help="First day (YYYY-MM-DD; default: a year ago).")
@click.option("--to", "end", default=None, help="Last day (YYYY-MM-DD; default: today).")
def report(code: str | None, start: str | None, end: str | None) -> None:
    """Print what is due for review, held and disposed of in a period, for governors (no child's name)."""
    schools = [s for s in store.schools() if code is None or s.code == code]
    if not schools:
        click.echo(f"Error: no school with the code {code}", err=True)
        sys.exit(1)
    for school in schools:
        today = services.now().astimezone(ZoneInfo(school.timezone)).date()
        first, last = _period(start, today.replace(year=today.year - 1)), _period(end, today)
        if first > last:
            click.echo("Error: --from must not be after --to", err=True)
            sys.exit(1)
        found = services.report(school, first, last)
        click.echo(f"{school.name} ({school.code}): retention report, {first} to {last}")
        click.echo(f"  Due for review: {len(found.due)}")
        for row in found.due:
            click.echo(f"    review {row.id}, due {row.due_on} ({row.basis}), {row.status.replace('_', ' ')}")
        click.echo(f"  Under legal hold: {len(found.held)}")
        for hold in found.held:
            click.echo(f"    hold {hold.id}: {services.HOLD_KINDS[hold.kind]}, since {hold.placed_at:%Y-%m-%d}")
        click.echo(f"  Disposed of in the period: {len(found.disposed)}")
        for disposal in found.disposed:
            when = f"{disposal.destroyed_at:%Y-%m-%d}" if disposal.destroyed_at else "—"
            click.echo(f"    {disposal.reference}, destroyed {when}: {disposal.what.get('concerns', 0)} concern(s)")


@retention_cli.command("lint")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def lint(directory: str | None) -> None:
    """Validate the retention schedule of every locale under DIRECTORY (default: terminology/); exit 1 on a problem."""
    root = Path(directory) if directory else vocabulary_root()
    locales = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not locales:
        click.echo(f"Error: no locale folders under {root}", err=True)
        sys.exit(1)
    failed = False
    for folder in locales:
        try:
            categories = load_vocabulary(folder).categories
        except VocabularyError:
            categories = None  # the vocabulary's own problems are for `terminology lint`
        try:
            found = load_schedule(folder, categories)
        except ScheduleError as error:
            failed = True
            for problem in error.problems:
                click.echo(f"{folder.name}/{problem}", err=True)
            continue
        click.echo(f"{folder.name} retention schedule {found.version}: {len(found.periods)} kinds of record — valid")
    clear_cache()
    sys.exit(1 if failed else 0)
