"""Reading the kept reports: what a reader may list and open, and what the sweep must build."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from evolve.accounts.models import User
from reporting.models import MonthlyReport, ReportBuild, ReportDownload
from reporting.permissions import report_teams


def report_builds_for_user(*, user: User) -> QuerySet[ReportBuild]:
    """Every version of every month the user may read, newest month first, with its report (if built) and who asked:
    one statement, however many there are (paginate in the page)."""
    return (
        ReportBuild.objects.filter(team__in=report_teams(user))
        .select_related("team", "requested_by", "report")
        .defer("report__content")
        .order_by("-year", "-month", "team__name", "-version")
    )


def report_build_for_user(*, user: User, public_id: str) -> ReportBuild:
    """One version the user may read; a 404 for anything else (another team's report looks like no report)."""
    build = (
        ReportBuild.objects.filter(team__in=report_teams(user), public_id=public_id)
        .select_related("team", "requested_by", "report")
        .first()
    )
    if build is None:
        raise Http404("No such report")
    return build


def report_for_user(*, user: User, public_id: str) -> MonthlyReport:
    """The built report of a version the user may read; a 404 while it is not built."""
    build = report_build_for_user(user=user, public_id=public_id)
    report = getattr(build, "report", None)
    if report is None:
        raise Http404("This report has not been built yet")
    return report


def superseded() -> Exists:
    """True for a build when a later version of the same team and month has been built: its failure no longer
    matters, and the sweep need not build it (it would count later data than the version that replaced it)."""
    return Exists(
        MonthlyReport.objects.filter(
            build__team_id=OuterRef("team_id"),
            build__year=OuterRef("year"),
            build__month=OuterRef("month"),
            build__version__gt=OuterRef("version"),
        )
    )


def report_builds_waiting(
    *, older_than: timedelta = timedelta(minutes=2), retrying: timedelta = timedelta(minutes=65)
) -> list[int]:
    """Asked-for versions with no report yet, asked for long enough ago that their task should have run, and not
    failed so recently that the task's own retry (at most an hour away) is still to come: what the sweep asks the task
    for again (the broker was down, or every retry failed). A build already running is left alone by its lock."""
    now = timezone.now()
    return list(
        ReportBuild.objects.filter(report__isnull=True, requested_at__lt=now - older_than)
        .filter(Q(failed_at__isnull=True) | Q(failed_at__lt=now - retrying))
        .exclude(superseded())
        .order_by("requested_at")
        .values_list("pk", flat=True)[:100]
    )


def report_downloads(*, report: MonthlyReport) -> QuerySet[ReportDownload]:
    return report.downloads.select_related("user", "agency").order_by("-at", "-id")
