"""Asking for, building and downloading the monthly report.

`report_request` fixes a version: the schedule's request is idempotent (a month already asked for is not asked for
again), a manager's rebuild is a new version and the earlier ones stay. `report_build` is what the Celery task runs:
safe to run twice and safe to kill. It renders both files, stores them under names fixed by team, month and version
(so a file left by a killed run is simply overwritten), and only then writes the `MonthlyReport` row; if anything
fails before the row is written, the files it wrote are removed. A row therefore always means a whole report.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from evolve.accounts.models import Team, User
from evolve.jobs import send_after_commit
from evolve.uploads.storage import private_storage
from reporting.content import report_content
from reporting.document import render_csv, render_pdf
from reporting.measures import Month
from reporting.models import DownloadFormat, MonthlyReport, ReportBuild, ReportDownload
from reporting.permissions import may_rebuild, report_teams

logger = logging.getLogger(__name__)

EARLIEST_YEAR = 2000
LATEST_YEAR = 9998  # Month's bounds stop at 9999, whose December has no "next month"


class ReportRefused(Exception):
    """The user may not do this, or the month cannot be reported on (it has not ended)."""


def last_month(today: date | None = None) -> Month:
    """The month before today's (London time): the one the schedule reports on."""
    today = today or timezone.localdate()
    return Month(today.year, today.month).previous()


def _check_month(year: int, month: int) -> Month:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ReportRefused(f"Reports start in {EARLIEST_YEAR}: enter a year from {EARLIEST_YEAR}.")
    try:
        period = Month(year, month)
    except ValueError as error:
        raise ReportRefused("Choose a month from 1 to 12.") from error
    if period.end > timezone.now():
        raise ReportRefused(f"{period} has not ended yet: a report can be built once the month is over.")
    return period


def report_request(*, team_id: int, year: int, month: int, by: User | None) -> ReportBuild:
    """Ask for a month's report. `by=None` is the schedule: it asks once per month, and returns the existing request
    if there is one. A manager (`by`) always asks for a new version. The build runs after the transaction commits."""
    period = _check_month(year, month)
    if by is not None and not may_rebuild(by, team_id=team_id):
        raise ReportRefused("Only the team's manager or detective sergeant can build a report again.")
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=team_id)  # one version number at a time per team
        existing = ReportBuild.objects.filter(team_id=team_id, year=period.year, month=period.month)
        if by is None:
            first = existing.order_by("version").first()
            if first is not None:
                return first
        version = (existing.aggregate(latest=Max("version"))["latest"] or 0) + 1
        build = ReportBuild.objects.create(
            team_id=team_id, year=period.year, month=period.month, version=version, requested_by=by
        )
        _ask_for_build(build.pk)
    logger.info("Report %s v%s for team %s asked for by user %s", period, version, team_id, by.pk if by else "beat")
    return build


def reports_schedule(today: date | None = None) -> list[ReportBuild]:
    """Ask for last month's report for every team (the beat task on the 1st; safe to repeat)."""
    period = last_month(today)
    return [
        report_request(team_id=team_id, year=period.year, month=period.month, by=None)
        for team_id in Team.objects.order_by("pk").values_list("pk", flat=True)
    ]


def _ask_for_build(build_id: int) -> None:
    from reporting.tasks import report_build_task

    send_after_commit(report_build_task, build_id, left_for="the hourly report sweep")


def report_file_names(build: ReportBuild) -> tuple[str, str]:
    base = f"reports/team-{build.team_id}/{build.year}-{build.month:02d}-v{build.version}"
    return f"{base}.pdf", f"{base}.csv"


# The key space of the PostgreSQL advisory locks taken while a report is built (the other half is the build's id).
BUILD_LOCK_SPACE = 7_000_007


class ReportBeingBuilt(Exception):
    """Another run is building this report right now (a retry and the sweep's second asking can meet). That run
    finishes it (or fails and retries itself); two runs writing the same files could remove each other's."""


def report_build(*, build_id: int) -> MonthlyReport:
    """Build one asked-for report, once. Returns the report (the existing one if it was built already); raises
    ReportBeingBuilt while another run holds the build."""
    with _build_lock(build_id) as locked:
        if not locked:
            raise ReportBeingBuilt(f"Report build {build_id} is being built by another run")
        return _build(build_id)


@contextmanager
def _build_lock(build_id: int) -> Iterator[bool]:
    """A session-level advisory lock for the build, held while it renders and stores (no transaction stays open)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [BUILD_LOCK_SPACE, build_id])
        locked = bool(cursor.fetchone()[0])
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [BUILD_LOCK_SPACE, build_id])


def _build(build_id: int) -> MonthlyReport:
    build = ReportBuild.objects.select_related("team").get(pk=build_id)
    existing = MonthlyReport.objects.filter(build=build).first()
    if existing is not None:
        return existing
    ReportBuild.objects.filter(pk=build.pk).update(attempts=F("attempts") + 1)
    content = report_content(team_id=build.team_id, team_name=build.team.name, year=build.year, month=build.month)
    built_at = timezone.now()
    pdf = render_pdf(content=content, version=build.version, built_at=built_at)
    csv_bytes = render_csv(content=content).encode("utf-8-sig")  # the byte-order mark makes Excel read UTF-8
    pdf_name, csv_name = report_file_names(build)
    storage = private_storage()
    written: list[str] = []
    try:
        for name, data in ((pdf_name, pdf), (csv_name, csv_bytes)):
            if storage.exists(name):  # left by a run that died after writing and before recording it
                storage.delete(name)
            stored = storage.save(name, ContentFile(data))
            written.append(stored)  # before the check: a file stored under another name is this run's to remove
            if stored != name:
                raise RuntimeError("The report file could not be stored under its own name")
        with transaction.atomic():
            report, created = MonthlyReport.objects.get_or_create(
                build=build,
                defaults={
                    "content": content,
                    "pdf_name": pdf_name,
                    "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
                    "pdf_size": len(pdf),
                    "csv_name": csv_name,
                    "csv_sha256": hashlib.sha256(csv_bytes).hexdigest(),
                    "csv_size": len(csv_bytes),
                },
            )
            ReportBuild.objects.filter(pk=build.pk).update(failed_at=None, failure="")
    except BaseException:
        for name in written:
            storage.delete(name)
        raise
    if created:
        logger.info("Report build %s stored (%s and %s bytes)", build.pk, len(pdf), len(csv_bytes))
    return report


def report_failed(*, build_id: int, error: BaseException) -> None:
    """Show on the reports page that the last attempt failed (the task retries; the sweep tries again)."""
    ReportBuild.objects.filter(pk=build_id, report__isnull=True).update(
        failed_at=timezone.now(), failure=type(error).__name__[:200]
    )


def report_download_record(*, user: User, report: MonthlyReport, format: DownloadFormat) -> ReportDownload:
    """Log a download (the view calls this before it sends the file). Refuses a reader outside the report's team."""
    if not report_teams(user).filter(pk=report.build.team_id).exists():
        raise ReportRefused("You cannot see this team's reports.")
    return ReportDownload.objects.create(report=report, user=user, agency_id=user.agency_id, format=format)
