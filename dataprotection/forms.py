from __future__ import annotations

from typing import Any

from django import forms

from dataprotection.models import RetentionOutcome
from dataprotection.services import MAX_RETAIN_YEARS


class ExportForm(forms.Form):
    reference = forms.CharField(
        label="Your reference for the request (optional)",
        help_text="For example the case number of the subject access request in your own system",
        max_length=100,
        required=False,
        error_messages={"max_length": "The reference must be 100 characters or fewer"},
    )


class RetentionDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label="What should happen to these records?",
        choices=[
            (RetentionOutcome.RETAIN.value, "Retain them for longer"),
            (RetentionOutcome.DESTROY.value, "Destroy them (the owning agency's records process carries it out)"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether to retain or destroy the records"},
    )
    retain_years = forms.IntegerField(
        label="If retaining: for how many more years?",
        help_text=f"A whole number of years, from 1 to {MAX_RETAIN_YEARS}. The records come back for review then.",
        required=False,
        min_value=1,
        max_value=MAX_RETAIN_YEARS,
        error_messages={
            "invalid": "Enter the number of years as a whole number, like 5",
            "min_value": f"Enter a number of years from 1 to {MAX_RETAIN_YEARS}",
            "max_value": f"Enter a number of years from 1 to {MAX_RETAIN_YEARS}",
        },
    )
    reason = forms.CharField(
        label="Reason for the decision",
        widget=forms.Textarea,
        max_length=5000,
        error_messages={"required": "Give the reason for the decision"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["retain_years"].widget.attrs.update({"inputmode": "numeric"})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        retaining = cleaned.get("outcome") == RetentionOutcome.RETAIN
        if retaining and cleaned.get("retain_years") is None and "retain_years" not in self.errors:
            self.add_error("retain_years", "Enter how many more years to retain the records")
        return cleaned


class LegalHoldForm(forms.Form):
    inquiry = forms.CharField(
        label="Inquiry, review or proceedings",
        help_text="What needs the records kept, for example the name of a public inquiry or a case in court",
        max_length=200,
        error_messages={
            "required": "Enter the inquiry, review or proceedings that need the records",
            "max_length": "The inquiry's name must be 200 characters or fewer",
        },
    )
    reason = forms.CharField(
        label="Reason for the hold",
        widget=forms.Textarea,
        max_length=5000,
        error_messages={"required": "Give the reason for the hold"},
    )


class LiftHoldForm(forms.Form):
    reason = forms.CharField(
        label="Reason for lifting the hold",
        widget=forms.Textarea,
        max_length=5000,
        error_messages={"required": "Give the reason for lifting the hold"},
    )
