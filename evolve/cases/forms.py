"""Forms for the daily review and the child's case. The services check the rules; these check the shapes."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from evolve.access.models import LawfulBasis, ShareConsent
from evolve.accounts.models import Agency, User
from evolve.cases.models import AllocationRole, ChildWords, DecisionKind
from evolve.ui.forms import DateField, clock_time

DUE_CHOICES = [("4", "Within 4 hours"), ("24", "Within 24 hours"), ("72", "Within 3 days")]


def _user_choices(users: Any) -> list[tuple[str, str]]:
    return [
        (
            str(user.pk),
            f"{user.display_name}{', ' + user.agency.short_name if user.agency else ''}"
            f"{', ' + user.job_title if user.job_title else ''}",
        )
        for user in users
    ]


def _choices(field: forms.Field, choices: list[Any]) -> None:
    field.choices = choices  # type: ignore[attr-defined]  # every field given here is a ChoiceField


class DecisionViewForm(forms.Form):
    kind = forms.ChoiceField(label="Your decision", choices=DecisionKind.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        label="Your reasons", widget=forms.Textarea, help_text="What the decision rests on, for the child's record"
    )
    advice = forms.CharField(
        label="Advice for the referrer (for the two kinds of advice)",
        widget=forms.Textarea,
        required=False,
        help_text="This goes in the letter to the referrer; your reasons above do not",
    )


class EscalateForm(forms.Form):
    note = forms.CharField(label="What you disagree about", widget=forms.Textarea)


class TeamChecksForm(forms.Form):
    due = forms.ChoiceField(label="Answer needed", choices=DUE_CHOICES, widget=forms.RadioSelect, initial="24")

    def due_at(self) -> datetime:
        return timezone.now() + timedelta(hours=int(self.cleaned_data["due"]))


class AgencyCheckForm(forms.Form):
    """Ask one agency, inside the team or outside it, to check what it holds."""

    owner = forms.ChoiceField(label="Who to ask", help_text="Their agency is asked to check what it holds")
    due = forms.ChoiceField(label="Answer needed", choices=DUE_CHOICES, widget=forms.RadioSelect, initial="24")
    question = forms.CharField(label="What to check (optional)", widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, people: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(user.pk): user for user in people}
        _choices(self.fields["owner"], [("", "Choose a person"), *_user_choices(people)])

    def owner_user(self) -> User:
        return self.people[self.cleaned_data["owner"]]

    def due_at(self) -> datetime:
        return timezone.now() + timedelta(hours=int(self.cleaned_data["due"]))


class CheckAnswerForm(forms.Form):
    holds_information = forms.TypedChoiceField(
        label="Does your agency hold information about this child?",
        choices=[("yes", "Yes"), ("no", "No, nothing held")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(label="What your agency holds", widget=forms.Textarea, required=False)


class ResolveForm(DecisionViewForm):
    pass


class StrategyHeldForm(forms.Form):
    held_on = DateField(label="Date it was held")
    held_time = forms.CharField(label="Time it started", help_text="For example, 14:30", max_length=5)
    note = forms.CharField(label="Who attended and what was agreed", widget=forms.Textarea)

    def clean_held_time(self) -> time:
        return clock_time(self.cleaned_data["held_time"])

    def held_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.cleaned_data["held_on"], self.cleaned_data["held_time"]))


class NoteForm(forms.Form):
    text = forms.CharField(label="Case note", widget=forms.Textarea(attrs={"rows": 5}))
    restricted = forms.BooleanField(
        label="Restrict to my agency (police intelligence, health clinical notes)",
        required=False,
        help_text="Only your agency sees it, until your agency shares it by a recorded decision",
    )


class ShareForm(forms.Form):
    to = forms.ChoiceField(label="Share with")
    lawful_basis = forms.ChoiceField(label="Lawful basis", choices=LawfulBasis.choices, widget=forms.RadioSelect)
    consent = forms.ChoiceField(label="Consent", choices=ShareConsent.choices, widget=forms.RadioSelect)
    reason_without_consent = forms.CharField(
        label="Reason for sharing without consent", widget=forms.Textarea, required=False
    )

    def __init__(self, *args: Any, people: Any = (), agencies: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {f"user-{user.pk}": user for user in people}
        self.agencies = {f"agency-{agency.pk}": agency for agency in agencies}
        _choices(
            self.fields["to"],
            [
                ("", "Choose a person or an agency"),
                ("People on the case", [(f"user-{pk}", label) for pk, label in _user_choices(people)]),
                ("Agencies in the team", [(f"agency-{a.pk}", a.name) for a in agencies]),
            ],
        )

    def recipient(self) -> tuple[User | None, Agency | None]:
        choice = self.cleaned_data["to"]
        return self.people.get(choice), self.agencies.get(choice)


class ChildWordsForm(forms.Form):
    kind = forms.ChoiceField(label="What this records", choices=ChildWords.Kind.choices, widget=forms.RadioSelect)
    words = forms.CharField(
        label="In the child's own words", widget=forms.Textarea, help_text="Write what they said, as they said it"
    )
    said_on = DateField(label="Date they said it")
    context = forms.CharField(label="Where, and to whom (optional)", max_length=300, required=False)


class AllocationForm(forms.Form):
    user = forms.ChoiceField(label="Practitioner")
    role = forms.ChoiceField(label="Role on the case", choices=AllocationRole.choices, widget=forms.RadioSelect)
    start_on = DateField(label="Start date")

    def __init__(self, *args: Any, people: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(user.pk): user for user in people}
        _choices(self.fields["user"], [("", "Choose a practitioner"), *_user_choices(people)])
        if not self.is_bound:
            self.initial["start_on"] = timezone.localdate()

    def user_chosen(self) -> User:
        return self.people[self.cleaned_data["user"]]


class EndAllocationForm(forms.Form):
    end_on = DateField(label="End date")


class CaseHolderForm(forms.Form):
    holder = forms.ChoiceField(label="Case-holding social worker")

    def __init__(self, *args: Any, people: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(user.pk): user for user in people}
        _choices(self.fields["holder"], [("", "Choose a social worker"), *_user_choices(people)])

    def holder_user(self) -> User:
        return self.people[self.cleaned_data["holder"]]


class KeyIndividualForm(forms.Form):
    user = forms.ChoiceField(label="A practitioner with an Evolve account", required=False)
    name = forms.CharField(label="Or someone outside the team: their name", max_length=200, required=False)
    organisation = forms.CharField(label="Their organisation", max_length=200, required=False)

    def __init__(self, *args: Any, people: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(user.pk): user for user in people}
        _choices(self.fields["user"], [("", "Someone outside the team (below)"), *_user_choices(people)])

    def user_chosen(self) -> User | None:
        return self.people.get(self.cleaned_data.get("user") or "")


class ReviewDateForm(forms.Form):
    next_review_on = DateField(label="Next review date")


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea)
