# (DRF's serializer classes take type parameters only in the stubs, not at run time: as for the other API modules.)
"""The monthly reports API: the report versions a reader may see, one version with its figures, and a manager's
request to build a month again, through the same permissions, selectors and services as the reports pages.

Public UUIDs only; a team by name, a person by display name. Readers are the team's manager and detective sergeant
(their own team's reports) and the oversight roles (their team's, or every team's without one): anyone else is
refused the list (a 403), and a version they may not read is a 404, exactly like a missing one. The figures are
counts, never a child's identity. The files are downloaded from the reports pages (`pdf_url`, `csv_url`), which log
every download: the API never sends them.

A rebuild is for the caller's own team: only its manager or detective sergeant may ask (a 403 for anyone else); a
month that has not ended, or one before reports start, is a 400 with the reason. Nothing is changed by a refused
request. The new version is built in the background: it shows as "waiting" until it is built, "failed" while its
last attempt failed (it is tried again)."""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evolve.accounts.models import User
from evolve.ui.api import Pages, named_enum, valid_input, with_refusals
from reporting.measures import Month, Section
from reporting.models import DownloadFormat, ReportBuild
from reporting.permissions import may_read_reports, may_rebuild
from reporting.selectors import report_build_for_user, report_builds_for_user
from reporting.services import EARLIEST_YEAR, ReportRefused, report_request

READERS_ONLY = (
    "The monthly reports are for the team's managers, the governance group, heads of service and service managers."
)
NOT_FOUND = "No such report, or not one you may see."
REBUILDERS_ONLY = "Only the team's manager or detective sergeant can build a report again."

# Enums named for this app, so the schema's enums never collide with other apps' fields of the same name.


BUILT, WAITING, FAILED = "built", "waiting", "failed"
ReportStatusField = named_enum(
    "ReportStatusEnum",
    [(BUILT, "Built"), (WAITING, "Waiting to be built"), (FAILED, "The last attempt failed (it is tried again)")],
)
ReportSectionField = named_enum("ReportSectionEnum", [(section.name, section.value) for section in Section])
ReportDirectionField = named_enum(
    "ReportDirectionEnum",
    [("up", "Up"), ("down", "Down"), ("same", "The same"), ("none", "Nothing to compare with")],
)


# What the API shows ------------------------------------------------------------------------------------------------


class ReportVersionSerializer(serializers.Serializer):
    """One version of one team's report for one month: asked for, then built (or failed, and tried again)."""

    id = serializers.UUIDField(read_only=True)
    team = serializers.CharField(read_only=True, help_text="The team's name")
    month = serializers.CharField(read_only=True, help_text='The month reported on, "2025-03"')
    month_label = serializers.CharField(read_only=True, help_text='"March 2025"')
    version = serializers.IntegerField(read_only=True, help_text="1 for the schedule's build; a rebuild adds one")
    requested_at = serializers.DateTimeField(read_only=True)
    requested_by = serializers.CharField(
        read_only=True, allow_null=True, help_text="Who asked for this version; null: the monthly schedule"
    )
    status = ReportStatusField(read_only=True)
    failed_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the last attempt failed (null unless it did)"
    )
    failure = serializers.CharField(read_only=True, help_text="The kind of error of the last failed attempt")
    built_at = serializers.DateTimeField(read_only=True, allow_null=True)
    pdf_url = serializers.CharField(
        read_only=True, allow_null=True, help_text="The PDF's download from the reports pages (null until built)"
    )
    csv_url = serializers.CharField(
        read_only=True, allow_null=True, help_text="The CSV's download from the reports pages (null until built)"
    )
    pdf_size = serializers.IntegerField(read_only=True, allow_null=True, help_text="In bytes (null until built)")
    csv_size = serializers.IntegerField(read_only=True, allow_null=True, help_text="In bytes (null until built)")


class ReportRowSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True, help_text='Stable: a decision kind, "agency-3", "cawn/complied"')
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a field, not Field.label
    count = serializers.IntegerField(read_only=True)
    denominator = serializers.IntegerField(read_only=True, allow_null=True, help_text="For a line of a rate")


class ReportTrendPointSerializer(serializers.Serializer):
    month = serializers.CharField(read_only=True, help_text='"2025-03"')
    label = serializers.CharField(read_only=True, help_text='"Mar 2025"')  # type: ignore[assignment]  # as above
    name = serializers.CharField(read_only=True, help_text='"March 2025"')
    total = serializers.IntegerField(read_only=True)
    numerator = serializers.IntegerField(read_only=True, allow_null=True)
    denominator = serializers.IntegerField(read_only=True, allow_null=True)


class ReportDirectionSerializer(serializers.Serializer):
    way = ReportDirectionField(read_only=True)
    words = serializers.CharField(read_only=True, help_text="This month against the last, and the twelve before")


class ReportMeasureSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True, help_text='"1" to "9", "missing", "intelligence", "positive_outcomes"')
    title = serializers.CharField(read_only=True)
    definition = serializers.CharField(read_only=True)
    counting = serializers.CharField(read_only=True, help_text="How the product counts it")
    section = ReportSectionField(read_only=True)
    section_title = serializers.CharField(read_only=True)
    breakdown = serializers.CharField(read_only=True, help_text="What the rows are, if any")
    is_rate = serializers.BooleanField(read_only=True)
    total = serializers.IntegerField(read_only=True, help_text="For a rate, the numerator")
    numerator = serializers.IntegerField(read_only=True, allow_null=True)
    denominator = serializers.IntegerField(read_only=True, allow_null=True)
    rows = ReportRowSerializer(many=True, read_only=True, help_text="The breakdown (rows may overlap)")
    related = ReportRowSerializer(many=True, read_only=True, help_text="Figures shown beside it, not part of it")
    trend = ReportTrendPointSerializer(
        many=True, read_only=True, help_text="Thirteen months, oldest first: the last is this month"
    )
    direction = ReportDirectionSerializer(read_only=True)


class ReportQualityAssuranceSerializer(serializers.Serializer):
    drawn = serializers.IntegerField(read_only=True, help_text="Children's files drawn for audit this month")
    completed = serializers.IntegerField(read_only=True, help_text="Of those, audited")
    rows = ReportRowSerializer(many=True, read_only=True, help_text="Audited files by grade (of those audited)")


class ReportContentSerializer(serializers.Serializer):
    """The figures as built (kept with the report, so an old version reads as it was built): counts only."""

    team = serializers.CharField(read_only=True)
    month = serializers.CharField(read_only=True)
    month_label = serializers.CharField(read_only=True)
    measures = ReportMeasureSerializer(many=True, read_only=True)
    data_quality = ReportRowSerializer(many=True, read_only=True)
    quality_assurance = ReportQualityAssuranceSerializer(
        read_only=True, required=False, help_text="The month's audit sample (absent from reports built before it)"
    )


class ReportVersionDetailSerializer(ReportVersionSerializer):
    may_rebuild = serializers.BooleanField(read_only=True, help_text="Whether you may build this month again")
    content = serializers.SerializerMethodField(help_text="The figures, once built (null until then)")

    @extend_schema_field(ReportContentSerializer(allow_null=True))
    def get_content(self, shown: dict[str, Any]) -> Any:
        # As stored, not re-serialized: a version keeps whatever its figures were when it was built.
        return shown["content"]


class RebuildInputSerializer(serializers.Serializer):
    # 9998: the last year whose every month has a month after it (the month's end is the next month's start).
    year = serializers.IntegerField(min_value=EARLIEST_YEAR, max_value=9998)
    month = serializers.IntegerField(min_value=1, max_value=12)


# Shared -------------------------------------------------------------------------------------------------------------


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _reader(request: Request) -> User:
    """The caller, a reader of reports; anyone else is refused (a 403: for the list)."""
    user = _user(request)
    if not may_read_reports(user):
        raise PermissionDenied(READERS_ONLY)
    return user


def _download_url(build: ReportBuild, format: DownloadFormat) -> str:
    """The reports page's download (it logs who downloaded what)."""
    return reverse(f"reporting:{format.value}", args=[build.public_id])


def _shown(build: ReportBuild, *, content: bool = False, user: User | None = None) -> dict[str, Any]:
    """A version as the API shows it (`content`: with its figures, for `user`)."""
    report = getattr(build, "report", None)  # selected with the build: no query
    if report is not None:
        state = BUILT
    elif build.failed_at is not None:
        state = FAILED
    else:
        state = WAITING
    shown: dict[str, Any] = {
        "id": build.public_id,
        "team": build.team.name,
        "month": f"{build.year}-{build.month:02d}",
        "month_label": str(Month(build.year, build.month)),
        "version": build.version,
        "requested_at": build.requested_at,
        "requested_by": build.requested_by.display_name if build.requested_by is not None else None,
        "status": state,
        "failed_at": build.failed_at if report is None else None,
        "failure": build.failure if report is None else "",
        "built_at": report.built_at if report is not None else None,
        "pdf_url": _download_url(build, DownloadFormat.PDF) if report is not None else None,
        "csv_url": _download_url(build, DownloadFormat.CSV) if report is not None else None,
        "pdf_size": report.pdf_size if report is not None else None,
        "csv_size": report.csv_size if report is not None else None,
    }
    if content:
        shown["content"] = report.content if report is not None else None
        shown["may_rebuild"] = user is not None and may_rebuild(user, team_id=build.team_id)
    return shown


def _detail(user: User, public_id: uuid.UUID) -> Any:
    build = report_build_for_user(user=user, public_id=str(public_id))
    return ReportVersionDetailSerializer(_shown(build, content=True, user=user)).data


# Endpoints ----------------------------------------------------------------------------------------------------------


class ReportListApi(APIView):
    pagination_class = Pages

    @extend_schema(responses=with_refusals({200: ReportVersionSerializer(many=True)}, 403))
    def get(self, request: Request) -> Response:
        """The report versions you may read, newest month first (each month's versions newest first)."""
        user = _reader(request)
        paginator = Pages()
        page: list[ReportBuild] = paginator.paginate_queryset(report_builds_for_user(user=user), request, self) or []
        return paginator.get_paginated_response(ReportVersionSerializer([_shown(b) for b in page], many=True).data)


class ReportDetailApi(APIView):
    @extend_schema(responses=with_refusals({200: ReportVersionDetailSerializer}, 404))
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        """One version with its figures (once built): every measure with its breakdown, the figures beside it, its
        previous twelve months and its direction of travel, and the data-quality counts."""
        user = _user(request)
        if not may_read_reports(user):
            raise NotFound(NOT_FOUND)
        return Response(_detail(user, public_id))


class ReportRebuildApi(APIView):
    @extend_schema(
        request=RebuildInputSerializer,
        responses=with_refusals({201: ReportVersionDetailSerializer}, 400, 403),
    )
    def post(self, request: Request) -> Response:
        """Build a month of your team's report again (the team manager and the detective sergeant): a new version,
        built in the background; the earlier versions stay. A month that has not ended is refused."""
        user = _user(request)
        if user.team_id is None or not may_rebuild(user, team_id=user.team_id):
            raise PermissionDenied(REBUILDERS_ONLY)
        data = valid_input(RebuildInputSerializer, request)
        try:
            build = report_request(team_id=user.team_id, year=data["year"], month=data["month"], by=user)
        except ReportRefused as error:
            raise ValidationError({"detail": [str(error)]}) from None
        return Response(_detail(user, build.public_id), status=status.HTTP_201_CREATED)
