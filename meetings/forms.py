"""Forms for the meeting pages. The services check the rules; these check the shapes."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from evolve.accounts.models import Agency, User
from evolve.cases.models import AllocationRole, RiskLevel
from evolve.ui.forms import DateField, clock_time
from meetings.models import MeetingKind

LEVEL_CHOICES = [("", "Not agreed at this meeting"), *((v, label) for v, label in RiskLevel.choices if v)]


def _people(users: Any) -> list[tuple[str, str]]:
    return [
        (str(user.pk), f"{user.display_name}{', ' + user.agency.short_name if user.agency else ''}") for user in users
    ]


def _target_label(entity: Any) -> str:
    flagged = ", already flagged for disruption" if entity.flagged_for_disruption else ""
    return f"{entity.label} ({entity.get_kind_display().lower()}{flagged})"


def _set_choices(field: forms.Field, choices: list[Any]) -> None:
    field.choices = choices  # type: ignore[attr-defined]  # only ever given ChoiceFields


class _WhenMixin(forms.Form):
    on = DateField(label="Date")
    at = forms.CharField(label="Time it starts", help_text="For example, 10:00", max_length=5)
    place = forms.CharField(label="Where (optional)", max_length=200, required=False)

    def clean_at(self) -> time:
        return clock_time(self.cleaned_data["at"], example="10:00")

    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.cleaned_data["on"], self.cleaned_data["at"]))


class ScheduleForm(_WhenMixin):
    chair = forms.ChoiceField(label="Chair")

    def __init__(self, *args: Any, chairs: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chairs = {str(user.pk): user for user in chairs}
        _set_choices(self.fields["chair"], _people(chairs))

    def chair_chosen(self) -> User | None:
        return self.chairs.get(self.cleaned_data["chair"])


class DecisionMeetingForm(_WhenMixin):
    kind = forms.ChoiceField(
        label="Which meeting",
        choices=[(k, label) for k, label in MeetingKind.choices if k != MeetingKind.WEEKLY],
        widget=forms.RadioSelect,
    )
    field_order = ["kind", "on", "at", "place"]


class AddChildForm(forms.Form):
    child = forms.ChoiceField(label="Child")
    reason = forms.CharField(label="Why they are on the agenda (optional)", max_length=300, required=False)

    def __init__(self, *args: Any, children: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.children = {str(child.public_id): child for child in children}
        _set_choices(
            self.fields["child"],
            [("", "Choose a child open to the team"), *((k, c.full_name) for k, c in self.children.items())],
        )


class AttendanceForm(forms.Form):
    agency = forms.ChoiceField(label="Agency")
    name = forms.CharField(label="Name", max_length=200)
    role = forms.CharField(label="Role (optional)", max_length=200, required=False)
    present = forms.ChoiceField(
        label="Attended",
        choices=[("yes", "Present"), ("no", "Sent apologies")],
        widget=forms.RadioSelect,
        initial="yes",
    )

    def __init__(self, *args: Any, agencies: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agencies = {str(agency.pk): agency for agency in agencies}
        _set_choices(
            self.fields["agency"], [("", "Choose an agency"), *((k, a.name) for k, a in self.agencies.items())]
        )

    def agency_chosen(self) -> Agency | None:
        return self.agencies.get(self.cleaned_data["agency"])


class ItemForm(forms.Form):
    discussion = forms.CharField(
        label="Discussion", widget=forms.Textarea, help_text="What each agency said, and what the meeting concluded"
    )
    level = forms.ChoiceField(
        label="Agreed risk level", choices=LEVEL_CHOICES, widget=forms.RadioSelect, required=False
    )
    rationale = forms.CharField(
        label="Rationale for the agreed level",
        widget=forms.Textarea,
        required=False,
        help_text="Required with a level: professional judgement stands over the score, and is written down",
    )
    mapping_items = forms.CharField(
        label="Mapping items for the Intelligence Sharing Meeting (optional)",
        widget=forms.Textarea,
        required=False,
        help_text="People, places, vehicles or groups to pass on",
    )
    flag_for_disruption = forms.MultipleChoiceField(
        label="Flag for the Intelligence Sharing Meeting (optional)",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Groups and locations linked to the child. Each one ticked is flagged for disruption on its mapping "
        "record when you save, with the mapping items above as the reason (without the child's name)",
    )
    disagreement = forms.CharField(
        label="Disagreement the meeting could not resolve (optional)", widget=forms.Textarea, required=False
    )
    escalate_to = forms.ChoiceField(label="Escalate the disagreement to the service managers of", required=False)

    def __init__(self, *args: Any, agencies: Any = (), targets: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agencies = {str(agency.pk): agency for agency in agencies}
        _set_choices(
            self.fields["escalate_to"],
            [("", "Do not escalate"), *((k, a.name) for k, a in self.agencies.items())],
        )
        # The mapping records (groups and locations) the meeting may pass on; none offered, no field.
        self.targets = {str(entity.public_id): entity for entity in targets}
        if self.targets:
            _set_choices(
                self.fields["flag_for_disruption"],
                [(k, _target_label(e)) for k, e in self.targets.items()],
            )
        else:
            del self.fields["flag_for_disruption"]

    def escalate_chosen(self) -> Agency | None:
        return self.agencies.get(self.cleaned_data.get("escalate_to") or "")


class ActionForm(forms.Form):
    description = forms.CharField(label="Action", widget=forms.Textarea)
    owner = forms.ChoiceField(label="Owner")
    due_on = DateField(label="Due date")

    def __init__(self, *args: Any, people: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(user.pk): user for user in people}
        _set_choices(self.fields["owner"], [("", "Choose who will do it"), *_people(people)])

    def owner_chosen(self) -> User | None:
        return self.people.get(self.cleaned_data["owner"])


class AllocateForm(forms.Form):
    user = forms.ChoiceField(label="Practitioner")
    role = forms.ChoiceField(label="Role on the case", choices=AllocationRole.choices, widget=forms.RadioSelect)

    def __init__(self, *args: Any, people: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(user.pk): user for user in people}
        _set_choices(self.fields["user"], [("", "Choose a practitioner"), *_people(people)])

    def user_chosen(self) -> User | None:
        return self.people.get(self.cleaned_data["user"])


class AmendmentForm(forms.Form):
    item = forms.ChoiceField(label="About", required=False)
    text = forms.CharField(label="What is corrected, and why", widget=forms.Textarea)

    def __init__(self, *args: Any, items: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = {str(item.public_id): item for item in items}
        _set_choices(
            self.fields["item"],
            [("", "The whole meeting"), *((k, i.child.full_name) for k, i in self.items.items())],
        )

    def item_chosen(self) -> Any:
        return self.items.get(self.cleaned_data.get("item") or "")


class OutcomeForm(forms.Form):
    outcome = forms.CharField(label="Outcome of the escalation", widget=forms.Textarea)


class ConfirmForm(forms.Form):
    """A button with nothing to fill in (close the meeting, refresh the agenda)."""
