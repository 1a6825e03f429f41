"""Forms for referrals. Every field of the MARF is optional while drafting: completeness is checked on sending."""

from __future__ import annotations

from typing import Any

from django import forms

from evolve.ui.forms import DateField
from evolve.uploads.fields import SafeFileField
from referrals.models import Referral
from referrals.services import DRAFT_FIELDS


class MarfForm(forms.Form):
    child_first_name = forms.CharField(label="First name", max_length=100, required=False)
    child_last_name = forms.CharField(label="Last name", max_length=100, required=False)
    child_date_of_birth = DateField(
        label="Date of birth (if known)", required=False, help_text="For example, 27 3 2011"
    )
    child_address = forms.CharField(label="Address (if known)", max_length=300, required=False)
    child_school = forms.CharField(label="School or college (if known)", max_length=200, required=False)
    known_to_agencies = forms.CharField(
        label="Agencies already involved with the child (if you know)", max_length=300, required=False
    )
    referrer_role = forms.CharField(label="Your role", max_length=200, required=False)
    referrer_phone = forms.CharField(label="Phone number we can reach you on", max_length=40, required=False)
    referrer_email = forms.EmailField(
        label="Email address",
        required=False,
        error_messages={"invalid": "Enter an email address like name@example.org"},
    )
    concern = forms.CharField(
        label="What are you worried about?",
        help_text="In your own words: what you saw or were told, when, and by whom",
        required=False,
        widget=forms.Textarea,
    )
    indicators = forms.MultipleChoiceField(
        label="Which of these do you know about?", required=False, widget=forms.CheckboxSelectMultiple
    )
    urgency = forms.ChoiceField(
        label="Is the child at immediate risk?",
        choices=Referral.Urgency.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    consent = forms.ChoiceField(
        label="Has the child (or their parent) agreed to this referral?",
        choices=Referral.Consent.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    consent_reason = forms.CharField(
        label="Why was agreement refused, dispensed with or not sought?", required=False, widget=forms.Textarea
    )
    attachment = SafeFileField(
        label="Attach a file (optional)",
        help_text="A PDF, JPG, PNG or Word document, smaller than 10MB",
        required=False,
    )

    def __init__(self, *args: Any, indicator_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicators"].choices = indicator_choices  # type: ignore[attr-defined]

    def draft_fields(self) -> dict[str, Any]:
        """What can be saved now: every field that is valid, even if others are not."""
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in DRAFT_FIELDS if name in data and name not in self.errors}

    def indicator_ids(self) -> list[int] | None:
        """The ticked indicators, or None (leave the saved ones alone) if the field was refused."""
        if "indicators" in self.errors:
            return None
        data = getattr(self, "cleaned_data", {})
        return [int(value) for value in data.get("indicators", [])]


class QuestionForm(forms.Form):
    question = forms.CharField(
        label="What do you need the referrer to clarify?",
        widget=forms.Textarea,
        error_messages={"required": "Enter what you need the referrer to clarify"},
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="The referrer's answer", widget=forms.Textarea, error_messages={"required": "Enter the referrer's answer"}
    )


class LogForm(forms.Form):
    """Log the contact against a child: one of the offered records, or a new one."""

    child = forms.CharField(
        label="Which child is this?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select the child, or add a new record"},
    )
    notes = forms.CharField(label="Notes (optional)", required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, child_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["child"].widget.choices = [*child_choices, ("new", "None of these: add a new record")]
        self.valid_choices = {value for value, _ in self.fields["child"].widget.choices}

    def clean_child(self) -> str:
        value: str = self.cleaned_data["child"]
        if value not in self.valid_choices:
            raise forms.ValidationError("Select the child, or add a new record")
        return value


class ScreenForm(forms.Form):
    notes = forms.CharField(
        label="What did the screening find?",
        widget=forms.Textarea,
        error_messages={"required": "Enter what the screening found"},
    )


class TriageDecisionForm(forms.Form):
    threshold = forms.ChoiceField(
        label="Threshold",
        choices=Referral.Threshold.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the threshold"},
    )
    rag = forms.ChoiceField(
        label="First RAG rating",
        choices=Referral.Rag.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select a RAG rating"},
    )
    rationale = forms.CharField(
        label="Reason for the rating",
        widget=forms.Textarea,
        error_messages={"required": "Give the reason for the RAG rating"},
    )


class CloseForm(forms.Form):
    outcome = forms.CharField(label="Outcome", max_length=300, error_messages={"required": "Enter the outcome"})
    letter = forms.CharField(
        label="Outcome letter to the referrer",
        widget=forms.Textarea,
        error_messages={"required": "Write the outcome letter to the referrer"},
    )


class MashCheckForm(forms.Form):
    holds_information = forms.TypedChoiceField(
        label="Does your agency hold information about the child?",
        choices=[("yes", "Yes"), ("no", "No, nothing held")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether your agency holds information about the child"},
    )
    summary = forms.CharField(label="What your agency holds", required=False, widget=forms.Textarea)


class CoAllocateForm(forms.Form):
    rag = forms.ChoiceField(
        label="Second RAG rating",
        choices=Referral.Rag.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select a RAG rating"},
    )
    intervention = forms.ChoiceField(
        label="Level of intervention",
        choices=Referral.Intervention.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the level of intervention"},
    )
    rationale = forms.CharField(
        label="Reason for the rating",
        widget=forms.Textarea,
        error_messages={"required": "Give the reason for the RAG rating"},
    )
    team = forms.ChoiceField(label="Co-allocate to")

    def __init__(self, *args: Any, team_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = team_choices  # type: ignore[attr-defined]


class ConsentReviewForm(forms.Form):
    agreed = forms.TypedChoiceField(
        label="Was it right to refer without the child's consent?",
        choices=[("yes", "Yes, I agree with the decision"), ("no", "No, I disagree")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether you agree with the decision"},
    )
    notes = forms.CharField(
        label="Reasons", widget=forms.Textarea, error_messages={"required": "Record the reasons for your review"}
    )
