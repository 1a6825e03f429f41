"""Forms of the network and hotspot filters, the pursuit pages (investigations, prosecutions, disruptions) and their
outcomes. They check shapes; `mapping.services` checks the rules. Choices of records are built from what the pages'
selectors return, so a form never offers a record the user may not see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from evolve.accounts.models import User
from evolve.people.models import Child
from evolve.ui.forms import DateField
from mapping.models import (
    DisruptionKind,
    DisruptionOutcome,
    Entity,
    Investigation,
    LinkKind,
    PersonOfConcern,
    ProsecutionOutcome,
)
from mapping.network import DEFAULT_HOPS, MAX_HOPS
from mapping.selectors import year_before

HOPS_CHOICES = [(str(n), f"{n} link{'s' if n > 1 else ''} away") for n in range(1, MAX_HOPS + 1)]

# What each disruption is, for the radio hints.
DISRUPTION_HINTS = {
    DisruptionKind.CAWN: "Served by police on a person of concern; names the child it protects",
    DisruptionKind.SRO: "Granted by a magistrates' court against a person of concern, without a conviction",
    DisruptionKind.SHPO: "Made by a court on conviction, against a person of concern",
    DisruptionKind.LICENSING: "A licensing review or enforcement visit to a hotel, takeaway, taxi firm or bar",
    DisruptionKind.CLOSURE_ORDER: "A premises closure order",
    DisruptionKind.PATROL_PLAN: "Targeted patrols of a place or a vehicle",
    DisruptionKind.ARREST: "An arrest, or bail conditions",
    DisruptionKind.OTHER: "Any other tactic: say what in the details",
}


class IsoDateInput(forms.DateInput):
    """A browser date picker (value YYYY-MM-DD): fine for a filter, where a mistyped date only filters nothing."""

    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _iso_date(label: str, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=IsoDateInput(),
        input_formats=["%Y-%m-%d"],
        help_text=help_text,
        error_messages={"invalid": f"{label} must be a real date, like 2025-03-31"},
    )


class _PeriodForm(forms.Form):
    since = _iso_date("From")
    until = _iso_date("To")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "To must be the same as or after From")
        return data


class NetworkFilterForm(_PeriodForm):
    """GET ?hops=2&kind=seen_at&kind=lives_at&since=2025-01-01&until=2025-12-31: every part optional."""

    hops = forms.TypedChoiceField(
        label="How far out",
        choices=HOPS_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
        initial=str(DEFAULT_HOPS),
    )
    kind = forms.MultipleChoiceField(
        label="Kinds of link to follow",
        choices=LinkKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Leave them all unticked to follow every kind of link",
    )
    since = _iso_date("Seen from", "Links seen on or after this date")
    until = _iso_date("Seen until", "Links seen on or before this date")
    field_order = ["hops", "kind", "since", "until"]

    def filters(self) -> dict[str, Any]:
        """The network's arguments: the defaults when the form was not sent."""
        data = self.cleaned_data if self.is_bound else {}
        return {
            "hops": data.get("hops") or DEFAULT_HOPS,
            "kinds": list(data.get("kind") or []),
            "since": data.get("since"),
            "until": data.get("until"),
        }


class HotspotFilterForm(_PeriodForm):
    """GET ?since=2025-01-01&until=2025-12-31 (the last twelve months when not given)."""

    def period(self, *, today: date) -> tuple[date, date]:
        data = self.cleaned_data if self.is_bound else {}
        until = data.get("until") or today
        since = data.get("since") or year_before(until)
        return since, until


# Pursuit ------------------------------------------------------------------------------------------------------------


def _set_choices(field: forms.Field, choices: list[Any]) -> None:
    field.choices = choices  # type: ignore[attr-defined]  # only ever given ChoiceFields


def _person_label(user: User) -> str:
    return f"{user.display_name}{', ' + user.agency.short_name if user.agency else ''}"


class _Restrictable(forms.Form):
    restrict = forms.BooleanField(
        label="Restrict to my agency",
        required=False,
        help_text="Only members of your agency in the team will see it (police intelligence, for example)",
    )

    def restricted_to(self, user: User) -> int | None:
        """The user's agency when ticked. Someone of no agency is refused (a ValidationError beside the box): the
        record would otherwise be saved for the whole team while they believe it restricted."""
        if not self.cleaned_data.get("restrict"):
            return None
        if user.agency_id is None:
            raise ValidationError({"restrict": "You belong to no agency, so there is none to restrict it to"})
        return user.agency_id


class InvestigationForm(_Restrictable):
    reference = forms.CharField(
        label="Crime or operation reference",
        max_length=60,
        error_messages={"required": "Enter the crime or operation reference"},
    )
    summary = forms.CharField(
        label="What is being investigated",
        widget=forms.Textarea,
        error_messages={"required": "Say what is being investigated"},
    )
    opened_on = DateField(label="Date opened", help_text="For example, 27 3 2025")
    lead_officer = forms.ChoiceField(label="Lead officer", error_messages={"required": "Choose the lead officer"})
    children = forms.MultipleChoiceField(
        label="Children (optional)", widget=forms.CheckboxSelectMultiple, required=False
    )
    perpetrators = forms.MultipleChoiceField(
        label="People of concern (optional)",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Name at least one child or one person of concern",
    )
    field_order = ["reference", "summary", "opened_on", "lead_officer", "children", "perpetrators", "restrict"]

    def __init__(
        self,
        *args: Any,
        officers: Iterable[User] = (),
        children: Iterable[Child] = (),
        people: Iterable[PersonOfConcern] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.officers = {str(user.pk): user for user in officers}
        self.child_choices = {str(child.public_id): child for child in children}
        self.people = {str(person.public_id): person for person in people}
        _set_choices(
            self.fields["lead_officer"],
            [("", "Choose the lead officer"), *((k, _person_label(u)) for k, u in self.officers.items())],
        )
        _set_choices(self.fields["children"], [(k, child.full_name) for k, child in self.child_choices.items()])
        _set_choices(self.fields["perpetrators"], [(k, person.label) for k, person in self.people.items()])

    def chosen(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "lead_officer": self.officers.get(data["lead_officer"]),
            "children": [self.child_choices[k] for k in data["children"]],
            "perpetrators": [self.people[k] for k in data["perpetrators"]],
        }


class CloseInvestigationForm(forms.Form):
    closed_on = DateField(label="Date closed")


class ProsecutionForm(_Restrictable):
    perpetrator = forms.ChoiceField(
        label="Person of concern charged", error_messages={"required": "Choose the person of concern who was charged"}
    )
    investigation = forms.ChoiceField(label="Investigation (optional)", required=False)
    charges = forms.CharField(label="Charges", widget=forms.Textarea, error_messages={"required": "Enter the charges"})
    charged_on = DateField(label="Date of charge")
    court = forms.CharField(label="Court (optional)", max_length=200, required=False)
    field_order = ["perpetrator", "investigation", "charges", "charged_on", "court", "restrict"]

    def __init__(
        self,
        *args: Any,
        people: Iterable[PersonOfConcern] = (),
        investigations: Iterable[Investigation] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(person.public_id): person for person in people}
        self.investigations = {str(item.public_id): item for item in investigations}
        _set_choices(
            self.fields["perpetrator"],
            [("", "Choose a person of concern"), *((k, p.label) for k, p in self.people.items())],
        )
        _set_choices(
            self.fields["investigation"],
            [
                ("", "Not part of an open investigation"),
                *((k, f"{i.reference}, opened {i.opened_on:%-d %B %Y}") for k, i in self.investigations.items()),
            ],
        )

    def chosen(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "perpetrator": self.people.get(data["perpetrator"]),
            "investigation": self.investigations.get(data["investigation"] or ""),
        }

    def clean_perpetrator(self) -> str:
        value: str = self.cleaned_data["perpetrator"]
        if value not in self.people:
            raise forms.ValidationError("Choose the person of concern who was charged")
        return value


class ConcludeProsecutionForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[(value, label) for value, label in ProsecutionOutcome.choices if value != ProsecutionOutcome.PENDING],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome"},
    )
    concluded_on = DateField(label="Date concluded")
    notes = forms.CharField(label="Sentence or reasons (optional)", widget=forms.Textarea, required=False)


class DisruptionForm(_Restrictable):
    kind = forms.ChoiceField(
        label="Kind of disruption",
        choices=DisruptionKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of disruption"},
    )
    target = forms.ChoiceField(
        label="Who or what it disrupts",
        error_messages={"required": "Choose who or what the disruption is against"},
    )
    child = forms.ChoiceField(
        label="Child it protects",
        required=False,
        help_text="Required for a Child Abduction Warning Notice",
    )
    taken_on = DateField(label="Date served or granted")
    expires_on = DateField(label="Date it expires (optional)", required=False)
    details = forms.CharField(label="Details (optional)", widget=forms.Textarea, required=False)
    field_order = ["kind", "target", "child", "taken_on", "expires_on", "details", "restrict"]

    def __init__(
        self, *args: Any, targets: Iterable[Entity] = (), children: Iterable[Child] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.targets = {str(entity.public_id): entity for entity in targets}
        self.children = {str(child.public_id): child for child in children}
        _set_choices(
            self.fields["target"],
            [
                ("", "Choose a person, place, vehicle, group or online identity"),
                *((k, f"{e.get_kind_display()}: {e.label}") for k, e in self.targets.items()),
            ],
        )
        _set_choices(
            self.fields["child"],
            [("", "No child named"), *((k, child.full_name) for k, child in self.children.items())],
        )

    def kind_options(self) -> list[dict[str, Any]]:
        """The kind radios with a hint each (the shared field component has no per-option hint)."""
        chosen = self["kind"].value()
        return [
            {
                "value": value,
                "label": label,
                "hint": DISRUPTION_HINTS[DisruptionKind(value)],
                "checked": value == chosen,
            }
            for value, label in DisruptionKind.choices
        ]

    def clean_target(self) -> str:
        value: str = self.cleaned_data["target"]
        if value not in self.targets:
            raise forms.ValidationError("Choose who or what the disruption is against")
        return value

    def chosen(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"target": self.targets[data["target"]], "child": self.children.get(data["child"] or "")}


class DisruptionOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[(value, label) for value, label in DisruptionOutcome.choices if value != DisruptionOutcome.IN_FORCE],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome"},
    )
    outcome_on = DateField(label="Date of the outcome")
    notes = forms.CharField(label="Notes (optional)", widget=forms.Textarea, required=False)
