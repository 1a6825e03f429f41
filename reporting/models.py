"""The monthly report as kept: what was asked for, what was built, and who downloaded it.

A report is asked for (`ReportBuild`) by the schedule early on the 1st or by a manager rebuilding a month; its version
is fixed when it is asked for, so a rebuild is a new version and the earlier one stays. A `MonthlyReport` row is
written only once both its files (PDF and CSV) are stored, so a row always means a whole report. Nothing here names a
child: the figures are counts, and the files are drawn from them.
"""

from __future__ import annotations

import uuid

from django.db import models


class ReportBuild(models.Model):
    """One version of one team's report for one month, asked for. `failed_at` says the last attempt failed (the
    reports page shows it until an attempt succeeds); `failure` names the kind of error, never any data."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    version = models.PositiveSmallIntegerField()
    requested_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True, help_text="None: the beat"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-year", "-month", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["team", "year", "month", "version"], name="report_version_once"),
            models.CheckConstraint(condition=models.Q(month__gte=1, month__lte=12), name="report_month_valid"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="report_version_positive"),
        ]

    def __str__(self) -> str:
        return f"Report {self.year}-{self.month:02d} v{self.version} (team {self.team_id})"


class MonthlyReport(models.Model):
    """A whole report: the figures it was drawn from (the page shows them without opening a file) and its two files."""

    build = models.OneToOneField(ReportBuild, on_delete=models.PROTECT, related_name="report")
    content = models.JSONField(help_text="The figures as built: counts only, never a child's identity")
    pdf_name = models.CharField(max_length=300)
    pdf_sha256 = models.CharField(max_length=64)
    pdf_size = models.PositiveIntegerField()
    csv_name = models.CharField(max_length=300)
    csv_sha256 = models.CharField(max_length=64)
    csv_size = models.PositiveIntegerField()
    built_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-built_at"]

    def __str__(self) -> str:
        return f"Monthly report {self.pk} (build {self.build_id})"


class DownloadFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    CSV = "csv", "CSV"


class ReportDownload(models.Model):
    """Every download of a report: who, from which agency, when, which file. Append-only in the database."""

    at = models.DateTimeField(auto_now_add=True)
    report = models.ForeignKey(MonthlyReport, on_delete=models.PROTECT, related_name="downloads")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+", null=True)
    format = models.CharField(max_length=3, choices=DownloadFormat.choices)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Download {self.pk}: user {self.user_id} report {self.report_id} {self.format}"
