"""The reports pages: the kept months, one report on screen, its two files, and building a month again.

Readers are set in `reporting.permissions`: the team's manager and detective sergeant, and the area's oversight
(governance, heads of service, service managers). The list refuses anyone else (403); a report they may not read looks
like no report (404), whether it is another team's or does not exist. The reports hold counts only, so nothing here
writes to the access log; every download is logged by `report_download_record` before the file is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from evolve.accounts.models import User
from evolve.uploads.storage import private_storage
from reporting.document import sections
from reporting.forms import RebuildForm
from reporting.measures import Month
from reporting.models import DownloadFormat, MonthlyReport, ReportBuild
from reporting.permissions import may_rebuild, report_teams
from reporting.selectors import (
    report_build_for_user,
    report_builds_for_user,
    report_downloads,
    report_for_user,
    superseded,
)
from reporting.services import ReportRefused, report_download_record, report_request

PAGE_SIZE = 25
CONTENT_TYPES = {DownloadFormat.PDF: "application/pdf", DownloadFormat.CSV: "text/csv; charset=utf-8"}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _reader(request: HttpRequest) -> User:
    user = _user(request)
    if not report_teams(user).exists():
        raise PermissionDenied("The monthly reports are for the team's managers and the area's oversight.")
    return user


@dataclass(frozen=True)
class BuildRow:
    """One version on the list: the build, and its report if it has been built."""

    build: ReportBuild
    report: MonthlyReport | None

    @property
    def month_label(self) -> str:
        return str(Month(self.build.year, self.build.month))


def _built(build: ReportBuild) -> MonthlyReport | None:
    report: MonthlyReport | None = getattr(build, "report", None)  # None: the reverse one-to-one has no row yet
    return report


def _list_page(request: HttpRequest, user: User, form: RebuildForm | None = None, status: int = 200) -> HttpResponse:
    builds = report_builds_for_user(user=user)
    page = Paginator(builds, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [BuildRow(build=build, report=_built(build)) for build in page.object_list]
    newest = builds.values("year", "month").first()
    failed_newest = (
        [
            BuildRow(build=build, report=None)
            for build in builds.filter(
                year=newest["year"], month=newest["month"], failed_at__isnull=False, report__isnull=True
            ).exclude(superseded())
        ]
        if newest
        else []
    )
    rebuild_allowed = user.team_id is not None and may_rebuild(user, team_id=user.team_id)
    context: dict[str, Any] = {
        "page": page,
        "rows": rows,
        "several_teams": report_teams(user).count() > 1,
        "failed_newest": failed_newest,
        "rebuild_allowed": rebuild_allowed,
        "form": form or RebuildForm(),
        "has_errors": bool(form and form.errors),
    }
    return render(request, "reporting/report_list.html", context, status=status)


@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, _reader(request))


@require_POST
def report_rebuild(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.team_id is None or not may_rebuild(user, team_id=user.team_id):
        raise PermissionDenied("Only the team's manager or detective sergeant can build a report again.")
    form = RebuildForm(request.POST)
    if not form.is_valid():
        return _list_page(request, user, form, status=400)
    try:
        build = report_request(
            team_id=user.team_id, year=form.cleaned_data["year"], month=form.cleaned_data["month"], by=user
        )
    except ReportRefused as refusal:
        form.add_error(None, str(refusal))
        return _list_page(request, user, form, status=400)
    month = Month(build.year, build.month)
    messages.success(request, f"The {month} report, version {build.version}, is being built.")
    return redirect("reporting:list")


@require_GET
def report_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    build = report_build_for_user(user=user, public_id=public_id)
    report = _built(build)
    versions = [
        BuildRow(build=other, report=_built(other))
        for other in report_builds_for_user(user=user).filter(team_id=build.team_id, year=build.year, month=build.month)
    ]
    owner = may_rebuild(user, team_id=build.team_id)
    context: dict[str, Any] = {
        "build": build,
        "row": BuildRow(build=build, report=report),
        "report": report,
        "content": report.content if report else None,
        "sections": sections(report.content) if report else [],
        "versions": versions,
        "downloads": list(report_downloads(report=report)) if report and owner else None,
    }
    return render(request, "reporting/report_detail.html", context)


def _download(request: HttpRequest, public_id: str, format: DownloadFormat) -> FileResponse:
    user = _user(request)
    report = report_for_user(user=user, public_id=public_id)
    build = report.build
    stored = report.pdf_name if format == DownloadFormat.PDF else report.csv_name
    storage = private_storage()
    if not storage.exists(stored):
        raise Http404("The report's file is missing")
    try:
        report_download_record(user=user, report=report, format=format)
    except ReportRefused as refusal:
        raise Http404("No such report") from refusal
    name = f"{slugify(build.team.name) or 'evolve'}-report-{build.year}-{build.month:02d}-v{build.version}.{format}"
    response = FileResponse(
        storage.open(stored, "rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[format]
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def report_pdf(request: HttpRequest, public_id: str) -> FileResponse:
    return _download(request, public_id, DownloadFormat.PDF)


@require_GET
def report_csv(request: HttpRequest, public_id: str) -> FileResponse:
    return _download(request, public_id, DownloadFormat.CSV)
