"""Forms for the mapping pages: a record of each kind, a link, withdrawing a link, flagging for the Intelligence
Sharing Meeting, and a missing episode. The services check the rules (a name or an alias, the evidence, the dates in
order); these check the shapes, and name their fields as the services name their errors, so a refusal lands beside
the right field."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from evolve.accounts.models import Agency
from evolve.accounts.selectors import AgencyGroups
from evolve.people.models import Child
from evolve.ui.forms import DateField, clock_time
from mapping.models import Confidence, Entity, EntityKind, LinkKind, Location, LocationType, MissingEpisode
from mapping.services import EpisodeInput, LinkInput


def _set_choices(field: forms.Field, choices: Sequence[Any]) -> None:
    field.choices = choices  # type: ignore[attr-defined]  # only ever given ChoiceFields


def _restrict_field(agency: Agency) -> forms.BooleanField:
    return forms.BooleanField(
        label=f"Restrict to {agency.name} (for example police intelligence)",
        required=False,
        help_text=f"Only members of {agency.name} in the team will see it: in lists, searches, the network and the map",
    )


def _coordinate(label: str, example: str) -> forms.DecimalField:
    message = f"Enter the {label.lower()} as a number with up to 6 decimal places, like {example}"
    return forms.DecimalField(
        label=f"{label} (optional)",
        required=False,
        max_digits=9,
        decimal_places=6,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
        help_text=f"For the hotspot map, for example {example}",
        error_messages={
            "invalid": message,
            "max_digits": message,
            "max_decimal_places": message,
            "max_whole_digits": message,
        },
    )


def _text(label: str, max_length: int = 200, help_text: str = "", required: bool = False) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=required, help_text=help_text)


def _area(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, widget=forms.Textarea, required=False, help_text=help_text)


def _kind_fields(kind: str) -> dict[str, forms.Field]:
    """Each kind's fields, named as `mapping.services.DETAIL_FIELDS` names them."""
    if kind == EntityKind.PERSON:
        return {
            "first_name": _text("First name", 100),
            "last_name": _text("Last name", 100),
            "aliases": _area(
                "Other names the person is known by (optional)",
                "One per line: street names, nicknames, other spellings",
            ),
            "date_of_birth": DateField(
                label="Date of birth", required=False, help_text="For example, 27 3 1990. Leave blank if not known."
            ),
            "description": _area("Description (optional)", "Appearance, distinguishing features"),
            "identifiers": _area(
                "Identifiers (optional)", "Police National Computer number, phone numbers, other agencies' references"
            ),
        }
    if kind == EntityKind.LOCATION:
        return {
            "location_type": forms.ChoiceField(
                label="Type of place", choices=LocationType.choices, widget=forms.RadioSelect, required=False
            ),
            "name": _text("Name of the place (optional)", help_text="A business's name, such as a hotel or takeaway"),
            "address": _area("Address"),
            "postcode": _text("Postcode", 10),
            "latitude": _coordinate("Latitude", "53.430100"),
            "longitude": _coordinate("Longitude", "-1.356200"),
        }
    if kind == EntityKind.VEHICLE:
        return {
            "registration": _text("Registration", 20, "Leave blank if not known, and give the make"),
            "make": _text("Make (optional)", 60),
            "model": _text("Model (optional)", 60),
            "colour": _text("Colour (optional)", 40),
        }
    if kind == EntityKind.GROUP:
        return {
            "name": _text("Name the group is known by"),
            "description": _area("Description (optional)", "Who is in it, where it meets, what it does"),
        }
    return {
        "platform": _text("Platform or app", 60, "For example, Snapchat"),
        "handle": _text("Username or handle"),
    }


class EntityForm(forms.Form):
    """A person of concern, location, vehicle, group or online identity: the kind's fields, notes, and restricting
    it to the user's agency. After a possible duplicate, the user confirms they have checked."""

    duplicates_shown = forms.CharField(widget=forms.HiddenInput, required=False)
    not_a_duplicate = forms.BooleanField(label="I have checked: this is not one of these", required=False)

    def __init__(self, *args: Any, kind: str, agency: Agency | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields.update(_kind_fields(kind))
        self.fields["notes"] = _area("Notes (optional)", "Anything else the team should know")
        if agency is not None:
            self.fields["restricted_to_agency"] = _restrict_field(agency)

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in _kind_fields(self.kind)]

    def details(self) -> dict[str, Any]:
        data = self.cleaned_data
        details = {name: data.get(name) for name in _kind_fields(self.kind)}
        if self.kind == EntityKind.PERSON:
            details["aliases"] = [line.strip() for line in (data.get("aliases") or "").splitlines() if line.strip()]
        return details

    def restricted(self) -> bool:
        return bool(self.cleaned_data.get("restricted_to_agency"))

    @staticmethod
    def initial_for(entity: Entity, details: Any) -> dict[str, Any]:
        """The form's starting values for editing `entity` (`details`: its kind's own record)."""
        initial: dict[str, Any] = {name: getattr(details, name) for name in _kind_fields(entity.kind)}
        if entity.kind == EntityKind.PERSON:
            initial["aliases"] = "\n".join(details.aliases)
        initial["notes"] = entity.notes
        initial["restricted_to_agency"] = entity.restricted_to_agency_id is not None
        return initial


# Links --------------------------------------------------------------------------------------------------------------


class LinkFieldsForm(forms.Form):
    """What a link says; the service names its errors after these fields."""

    kind = forms.ChoiceField(
        label="How are they linked?",
        choices=[("", "Choose how they are linked"), *LinkKind.choices],
        required=False,
        help_text="Read it as a sentence: the child (or the first record), the link, then the other record. For "
        "example, child exploited by person; person uses vehicle.",
    )
    first_seen_on = DateField(label="First seen", required=False, help_text="For example, 3 2 2026. Optional.")
    last_seen_on = DateField(label="Last seen", required=False, help_text="For example, 28 2 2026. Optional.")
    source_agency = forms.ChoiceField(
        label="Source agency", required=False, help_text="The agency the information came from"
    )
    confidence = forms.ChoiceField(
        label="How sure is the team of the link?", choices=Confidence.choices, widget=forms.RadioSelect, required=False
    )
    evidence = _area("Evidence", "What was seen or heard, by whom and when")

    def __init__(self, *args: Any, agencies: AgencyGroups, agency: Agency | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agencies = agencies
        _set_choices(self.fields["source_agency"], [("", "Choose an agency"), *agencies])
        self.restrict_to: Agency | None = agency
        if agency is not None:
            self.fields["restricted_to_agency"] = _restrict_field(agency)

    def link_input(self) -> LinkInput:
        data = self.cleaned_data
        source = data.get("source_agency") or ""
        return LinkInput(
            kind=data.get("kind") or "",
            source_agency_id=int(source) if source else None,
            confidence=data.get("confidence") or "",
            evidence=data.get("evidence") or "",
            first_seen_on=data.get("first_seen_on"),
            last_seen_on=data.get("last_seen_on"),
            restricted_to_agency_id=self.restrict_to.pk
            if self.restrict_to is not None and data.get("restricted_to_agency")
            else None,
        )

    @staticmethod
    def initial_for(link: Any) -> dict[str, Any]:
        return {
            "kind": link.kind,
            "first_seen_on": link.first_seen_on,
            "last_seen_on": link.last_seen_on,
            "source_agency": str(link.source_agency_id),
            "confidence": link.confidence,
            "evidence": link.evidence,
            "restricted_to_agency": link.restricted_to_agency_id is not None,
        }


class LinkNewForm(LinkFieldsForm):
    """A new link: the other end, picked from the results of a search (no script needed), then the link's fields.
    `options` maps each radio's value ("record:<id>" or "child:<id>") to the record or child."""

    other = forms.ChoiceField(
        label="Link to",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the record or child to link to",
            "invalid_choice": "Choose one of the records or children found",
        },
    )
    q = forms.CharField(widget=forms.HiddenInput, required=False)
    field_order = ["other", "kind", "first_seen_on", "last_seen_on", "source_agency", "confidence", "evidence"]

    def __init__(self, *args: Any, options: dict[str, tuple[str, Entity | Child]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = options
        _set_choices(self.fields["other"], [(value, label) for value, (label, _) in options.items()])

    def other_chosen(self) -> Entity | Child:
        return self.options[self.cleaned_data["other"]][1]


class WithdrawForm(forms.Form):
    reason = _area("Why is the link withdrawn?", "For example, the evidence was about someone else")


class FlagForm(forms.Form):
    flagged = forms.ChoiceField(choices=[("yes", "Flag"), ("no", "Take off the list")], widget=forms.HiddenInput)
    reason = _area(
        "Why does it need disrupting?",
        "What the team knows about it, and what the Intelligence Sharing Meeting is asked to consider",
    )

    def is_flagged(self) -> bool:
        return self.cleaned_data["flagged"] == "yes"


# Missing episodes ---------------------------------------------------------------------------------------------------

YES_NO = [("yes", "Yes"), ("no", "No")]


class MissingEpisodeForm(forms.Form):
    """Date and time the child went missing and was found, where, the return interview, and the people and places
    involved. `locations` are the team's locations; `involved` the records the user may tick."""

    started_at = DateField(label="Date the child went missing", help_text="For example, 14 2 2026")
    started_time = forms.CharField(
        label="Time the child went missing", max_length=5, help_text="For example, 21:30", required=False
    )
    ended_at = DateField(
        label="Date the child was found or came back",
        required=False,
        help_text="Leave blank if the child has not been found yet",
    )
    ended_time = forms.CharField(
        label="Time the child was found or came back", max_length=5, help_text="For example, 08:15", required=False
    )
    where_found = _area("Where the child was found (optional)", "The address or a description of the place")
    found_at = forms.ChoiceField(label="Found at one of the team's locations (optional)", required=False)
    return_interview_done = forms.ChoiceField(
        label="Has the return interview been done?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        initial="no",
        error_messages={"required": "Say whether the return interview has been done"},
    )
    return_interview_on = DateField(label="Date of the return interview", required=False, help_text="Optional")
    return_interview_by = _text(
        "Who did the return interview", help_text="Their name and agency. Needed when the interview has been done."
    )
    notes = _area("Notes (optional)", "What the child said, risks found, what happens next")
    linked = forms.MultipleChoiceField(
        label="People, places and vehicles involved",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Those already linked to the child. To add another, link it to the child first.",
    )

    def __init__(self, *args: Any, locations: Iterable[Location], involved: Iterable[Entity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locations = {str(location.public_id): location for location in locations}
        self.involved = {str(entity.public_id): entity for entity in involved}
        _set_choices(
            self.fields["found_at"],
            [("", "Not one of the team's locations"), *((k, loc.label) for k, loc in self.locations.items())],
        )
        _set_choices(
            self.fields["linked"],
            [(k, f"{entity.label} ({entity.get_kind_display().lower()})") for k, entity in self.involved.items()],
        )

    def clean_started_time(self) -> time | None:
        value = self.cleaned_data.get("started_time") or ""
        if not value.strip():
            raise forms.ValidationError("Enter the time the child went missing, like 21:30")
        return clock_time(value, example="21:30")

    def clean_ended_time(self) -> time | None:
        value = self.cleaned_data.get("ended_time") or ""
        return clock_time(value, example="08:15") if value.strip() else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("ended_at") and "ended_time" not in self.errors and data.get("ended_time") is None:
            self.add_error("ended_time", "Enter the time the child was found, like 08:15")
        if data.get("ended_time") is not None and not data.get("ended_at") and "ended_at" not in self.errors:
            self.add_error("ended_at", "Enter the date the child was found")
        return data

    @staticmethod
    def _when(day: date | None, at: time | None) -> datetime | None:
        if day is None or at is None:
            return None
        return timezone.make_aware(datetime.combine(day, at))

    def episode_input(self) -> EpisodeInput:
        data = self.cleaned_data
        return EpisodeInput(
            started_at=self._when(data.get("started_at"), data.get("started_time")),
            ended_at=self._when(data.get("ended_at"), data.get("ended_time")),
            where_found=data.get("where_found") or "",
            found_at=self.locations.get(data.get("found_at") or ""),
            return_interview_done=data.get("return_interview_done") == "yes",
            return_interview_on=data.get("return_interview_on"),
            return_interview_by=data.get("return_interview_by") or "",
            notes=data.get("notes") or "",
            linked=[self.involved[key] for key in data.get("linked") or [] if key in self.involved],
        )

    @staticmethod
    def initial_for(episode: MissingEpisode, visible_linked: Iterable[Entity]) -> dict[str, Any]:
        started = timezone.localtime(episode.started_at)
        ended = timezone.localtime(episode.ended_at) if episode.ended_at else None
        return {
            "started_at": started.date(),
            "started_time": started.strftime("%H:%M"),
            "ended_at": ended.date() if ended else None,
            "ended_time": ended.strftime("%H:%M") if ended else "",
            "where_found": episode.where_found,
            "found_at": str(episode.found_at.public_id) if episode.found_at else "",
            "return_interview_done": "yes" if episode.return_interview_done else "no",
            "return_interview_on": episode.return_interview_on,
            "return_interview_by": episode.return_interview_by,
            "notes": episode.notes,
            "linked": [str(entity.public_id) for entity in visible_linked],
        }
