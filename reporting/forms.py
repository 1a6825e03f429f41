"""The one form on the reports pages: which month to build again (GOV.UK date input with a month and a year only)."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from reporting.services import EARLIEST_YEAR, LATEST_YEAR

MONTH = re.compile(r"[0-9]{1,2}")
YEAR = re.compile(r"[0-9]{4}")
MONTH_MESSAGE = "Enter the month as a number from 1 to 12, like 3 for March"
YEAR_MESSAGE = "Enter the year as 4 digits, like 2025"


class RebuildForm(forms.Form):
    """Whether the month has ended, and whether the user may build it, is the service's to say (`report_request`)."""

    month = forms.CharField(required=False)
    year = forms.CharField(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        month = str(cleaned.get("month") or "").strip()
        year = str(cleaned.get("year") or "").strip()
        if not month and not year:
            raise forms.ValidationError("Enter the month and year of the report to build again", code="required")
        # ASCII digits only: str.isdigit() also accepts "²", which int() cannot read.
        if not MONTH.fullmatch(month) or not 1 <= int(month) <= 12:
            self.add_error("month", MONTH_MESSAGE)
        if not YEAR.fullmatch(year):
            self.add_error("year", YEAR_MESSAGE)
        elif not EARLIEST_YEAR <= int(year) <= LATEST_YEAR:
            self.add_error("year", f"Enter a year from {EARLIEST_YEAR}")
        if not self.errors:
            cleaned["month"], cleaned["year"] = int(month), int(year)
        return cleaned

    def error_list(self) -> list[dict[str, str]]:
        """For the error summary: each message, linked to the box it is about (the month box when it names none)."""
        errors = [{"message": str(message), "href": "#rebuild-month"} for message in self.non_field_errors()]
        for name in ("month", "year"):
            errors.extend(
                {"message": str(message), "href": f"#rebuild-{name}"} for message in self.errors.get(name, [])
            )
        return errors
