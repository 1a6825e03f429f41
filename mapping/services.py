"""Writing the team's mapping and pursuit records. Public: other apps write only through these.

Every service takes the user (`by`), checks what they may do, owns its transaction, and refuses bad input with a
ValidationError keyed by field (nothing is changed). Edits carry the version they were based on: a stale one raises
`MappingConflict` with the current record, so the user's text is kept and the other change shown. A link's edit keeps
the previous state (`LinkRevision`); nothing here deletes.

Whatever concerns a child (a link, a missing episode, an investigation, a disruption naming the child) goes into the
child's chronology in the same transaction, restricted to the agency when the record is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from evolve.accounts.models import Agency, User
from evolve.chronology.services import chronology_record
from evolve.people.models import Child
from evolve.versioning import locked_at_version, saved_with_new_version
from mapping.models import (
    Confidence,
    Disruption,
    DisruptionKind,
    DisruptionOutcome,
    Entity,
    EntityKind,
    Group,
    Investigation,
    Link,
    LinkKind,
    LinkRevision,
    Location,
    LocationType,
    MissingEpisode,
    OnlineIdentity,
    PersonOfConcern,
    Prosecution,
    ProsecutionOutcome,
    Vehicle,
)
from mapping.permissions import may_flag_for_disruption, may_map, may_record_pursuit, may_restrict_to
from mapping.selectors import (
    DuplicateCheck,
    entity_duplicate_candidates,
    link_already_recorded,
    missing_episode_out_of_sight,
)

LINK_SOURCE = "mapping_link"
MISSING_SOURCE = "missing_episode"
INVESTIGATION_SOURCE = "investigation"
DISRUPTION_SOURCE = "disruption"


class MappingRefused(Exception):
    """The user may not do this (a permission, or the record's state). Nothing was changed."""


class MappingConflict(Exception):
    """Someone else changed the record since the form was opened. Nothing was changed."""

    def __init__(self, current: Model) -> None:
        super().__init__("Someone else changed this record since you opened it")
        self.current = current


class PossibleDuplicate(Exception):
    """Records like this one exist: the user looks at them, then confirms this is a different one."""

    def __init__(self, check: DuplicateCheck) -> None:
        super().__init__("This may already be recorded")
        self.check = check


# Normalising --------------------------------------------------------------------------------------------------------


def normalise_registration(registration: str) -> str:
    """'ab12 cde' and 'AB12CDE' are one vehicle."""
    return re.sub(r"[^A-Z0-9]", "", registration.upper())


def normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def normalise_postcode(postcode: str) -> str:
    compact = re.sub(r"\s", "", postcode.upper())
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def _lower(*parts: str) -> str:
    return " | ".join(_one_line(part).lower() for part in parts if part and part.strip())


# Entities -----------------------------------------------------------------------------------------------------------

# The fields each kind takes, and the model that holds them.
DETAIL_FIELDS: dict[str, tuple[type[Entity], tuple[str, ...]]] = {
    EntityKind.PERSON: (
        PersonOfConcern,
        ("first_name", "last_name", "aliases", "date_of_birth", "description", "identifiers"),
    ),
    EntityKind.LOCATION: (Location, ("location_type", "name", "address", "postcode", "latitude", "longitude")),
    EntityKind.VEHICLE: (Vehicle, ("registration", "make", "model", "colour")),
    EntityKind.GROUP: (Group, ("name", "description")),
    EntityKind.ONLINE_IDENTITY: (OnlineIdentity, ("platform", "handle")),
}


def _clean_details(kind: str, given: dict[str, Any]) -> dict[str, Any]:
    """The kind's fields from `given`, tidied, or a ValidationError keyed by field."""
    _, fields = DETAIL_FIELDS[kind]
    details: dict[str, Any] = {}
    for field in fields:
        value = given.get(field)
        if isinstance(value, str):
            value = value.strip()
        details[field] = value
    errors: dict[str, str] = {}
    if kind == EntityKind.PERSON:
        details["aliases"] = [_one_line(alias) for alias in (details["aliases"] or []) if alias and alias.strip()]
        details["description"] = details["description"] or ""
        details["identifiers"] = details["identifiers"] or ""
        details["first_name"] = details["first_name"] or ""
        details["last_name"] = details["last_name"] or ""
        if not (details["first_name"] or details["last_name"] or details["aliases"]):
            errors["last_name"] = "Enter a name or an alias: what the person is known as"
        born = details["date_of_birth"]
        if born and born > timezone.localdate():
            errors["date_of_birth"] = "Date of birth must be in the past"
    elif kind == EntityKind.LOCATION:
        if details["location_type"] not in LocationType.values:
            errors["location_type"] = "Choose the type of place"
        for field in ("name", "address", "postcode"):
            details[field] = details[field] or ""
        details["postcode"] = normalise_postcode(details["postcode"])
        if not (details["name"] or details["address"] or details["postcode"]):
            errors["address"] = "Enter the address, the postcode or the name of the place"
        latitude, longitude = details["latitude"], details["longitude"]
        if (latitude is None) != (longitude is None):
            errors["latitude"] = "Enter both the latitude and the longitude, or neither"
        elif latitude is not None:
            if not Decimal(-90) <= Decimal(latitude) <= Decimal(90):
                errors["latitude"] = "Latitude must be between -90 and 90"
            if not Decimal(-180) <= Decimal(longitude) <= Decimal(180):
                errors["longitude"] = "Longitude must be between -180 and 180"
    elif kind == EntityKind.VEHICLE:
        for field in ("registration", "make", "model", "colour"):
            details[field] = details[field] or ""
        details["registration_normalised"] = normalise_registration(details["registration"])
        if not (details["registration_normalised"] or details["make"]):
            errors["registration"] = "Enter the registration, or the make if the registration is not known"
    elif kind == EntityKind.GROUP:
        details["name"] = _one_line(details["name"] or "")
        details["description"] = details["description"] or ""
        if not details["name"]:
            errors["name"] = "Enter the name the group is known by"
    elif kind == EntityKind.ONLINE_IDENTITY:
        details["platform"] = _one_line(details["platform"] or "")
        details["handle"] = details["handle"] or ""
        details["handle_normalised"] = normalise_handle(details["handle"])
        if not details["platform"]:
            errors["platform"] = "Enter the platform or app, such as Snapchat"
        if not details["handle_normalised"]:
            errors["handle"] = "Enter the username or handle"
    if errors:
        raise ValidationError(errors)
    return details


def entity_label(kind: str, details: dict[str, Any]) -> str:
    if kind == EntityKind.PERSON:
        name = _one_line(f"{details['first_name']} {details['last_name']}")
        aliases = details["aliases"]
        if name and aliases:
            return f"{name} ({', '.join(aliases)})"
        return name or ", ".join(aliases)
    if kind == EntityKind.LOCATION:
        where = ", ".join(
            part for part in (details["name"], _one_line(details["address"]), details["postcode"]) if part
        )
        return where
    if kind == EntityKind.VEHICLE:
        what = " ".join(part for part in (details["colour"], details["make"], details["model"]) if part)
        registration = details["registration"].upper()
        return f"{registration} ({what})" if registration and what else registration or what
    if kind == EntityKind.GROUP:
        return str(details["name"])
    return f"{details['handle']} on {details['platform']}"


def _search_text(kind: str, details: dict[str, Any]) -> str:
    if kind == EntityKind.PERSON:
        return _lower(f"{details['first_name']} {details['last_name']}", *details["aliases"])
    if kind == EntityKind.LOCATION:
        return _lower(details["name"], details["address"], details["postcode"])
    if kind == EntityKind.VEHICLE:
        return _lower(details["registration_normalised"], details["make"], details["model"])
    if kind == EntityKind.GROUP:
        return _lower(details["name"])
    return _lower(details["handle_normalised"], details["platform"])


def _check_restriction(by: User, restricted_to_agency_id: int | None) -> None:
    if not may_restrict_to(by, restricted_to_agency_id):
        raise ValidationError({"restricted_to_agency": "You can restrict a record only to your own agency"})


@transaction.atomic
def entity_record(
    *,
    by: User,
    kind: str,
    details: dict[str, Any],
    notes: str = "",
    restricted_to_agency_id: int | None = None,
    not_a_duplicate: bool = False,
) -> Entity:
    """Record a person of concern, location, vehicle, group or online identity for the user's team. Raises
    `PossibleDuplicate` when the team already holds one like it, unless the user has looked and confirmed."""
    if not may_map(by):
        raise MappingRefused("Only members of the Evolve team record people, places and vehicles")
    if kind not in DETAIL_FIELDS:
        raise ValidationError({"kind": "Choose what you are recording"})
    cleaned = _clean_details(kind, details)
    _check_restriction(by, restricted_to_agency_id)
    if not not_a_duplicate:
        check = entity_duplicate_candidates(user=by, kind=kind, details=cleaned)
        if check.candidates:
            raise PossibleDuplicate(check)
    model, _ = DETAIL_FIELDS[kind]
    assert by.team_id is not None  # may_map: a team member
    return model.objects.create(
        kind=kind,
        team_id=by.team_id,
        label=entity_label(kind, cleaned)[:300],
        search_text=_search_text(kind, cleaned),
        restricted_to_agency_id=restricted_to_agency_id,
        notes=notes.strip(),
        created_by=by,
        **cleaned,
    )


def _check_newly_restricted(by: User, current: Any, restricted_to_agency_id: int | None) -> None:
    """Restricting a shared record hides it from everyone else, its author's agency included: only the agency that
    recorded it may do that (to another agency's record, add your own restricted link or record instead)."""
    if restricted_to_agency_id is None or current.restricted_to_agency_id == restricted_to_agency_id:
        return
    if current.created_by.agency_id != by.agency_id:
        raise ValidationError(
            {"restricted_to_agency": "Only the agency that recorded this can restrict it: it would hide it from them"}
        )


def _locked(model: type[Model], pk: int, based_on_version: int | None) -> Any:
    return locked_at_version(
        model._default_manager.all(), pk=pk, based_on_version=based_on_version, conflict=MappingConflict
    )


@transaction.atomic
def entity_update(
    *,
    entity: Entity,
    by: User,
    details: dict[str, Any],
    notes: str,
    restricted_to_agency_id: int | None,
    based_on_version: int | None,
) -> Entity:
    if not may_map(by) or entity.kind == EntityKind.CHILD:
        raise MappingRefused("Only members of the Evolve team change people, places and vehicles")
    cleaned = _clean_details(entity.kind, details)
    _check_restriction(by, restricted_to_agency_id)
    model, _ = DETAIL_FIELDS[entity.kind]
    current = _locked(model, entity.pk, based_on_version)
    _check_newly_restricted(by, current, restricted_to_agency_id)
    for field, value in cleaned.items():
        setattr(current, field, value)
    current.label = entity_label(entity.kind, cleaned)[:300]
    current.search_text = _search_text(entity.kind, cleaned)
    current.notes = notes.strip()
    current.restricted_to_agency_id = restricted_to_agency_id
    return saved_with_new_version(
        current, *cleaned, "label", "search_text", "notes", "restricted_to_agency", "updated_at"
    )


@transaction.atomic
def entity_flag_for_disruption(
    *, entity: Entity, by: User, flagged: bool, reason: str, based_on_version: int | None
) -> Entity:
    """Pass a group or a location to the Intelligence Sharing Meeting for disruption (or take it off the list)."""
    if not may_flag_for_disruption(by):
        raise MappingRefused("Only members of the Evolve team pass records to the Intelligence Sharing Meeting")
    if entity.kind not in (EntityKind.GROUP, EntityKind.LOCATION):
        raise ValidationError({"flagged": "Only groups and locations go to the Intelligence Sharing Meeting"})
    reason = reason.strip()
    if flagged and not reason:
        raise ValidationError({"reason": "Say why it needs disrupting"})
    current = _locked(Entity, entity.pk, based_on_version)
    current.flagged_for_disruption = flagged
    current.flag_reason = reason if flagged else ""
    current.flagged_at = timezone.now() if flagged else None
    current.flagged_by = by if flagged else None
    return saved_with_new_version(
        current, "flagged_for_disruption", "flag_reason", "flagged_at", "flagged_by", "updated_at"
    )


def child_entity(*, child: Child, by: User) -> Entity:
    """The child's place in the network, made the first time the child is linked."""
    if not may_map(by):
        raise MappingRefused("Only members of the Evolve team link children to people and places")
    existing = Entity.objects.filter(child=child).first()
    if existing is not None:
        return existing
    assert by.team_id is not None
    try:
        with transaction.atomic():
            return Entity.objects.create(kind=EntityKind.CHILD, team_id=by.team_id, child=child, created_by=by)
    except IntegrityError:  # made at the same moment by someone else
        return Entity.objects.get(child=child)


# Links --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkInput:
    kind: str
    source_agency_id: int | None
    confidence: str
    evidence: str
    first_seen_on: date | None = None
    last_seen_on: date | None = None
    restricted_to_agency_id: int | None = None


def _link_errors(given: LinkInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if given.kind not in LinkKind.values:
        errors["kind"] = "Choose how they are linked"
    if given.confidence not in Confidence.values:
        errors["confidence"] = "Choose how sure the team is of the link"
    if not given.evidence.strip():
        errors["evidence"] = "Give the evidence: what was seen or heard, by whom and when"
    if given.source_agency_id is None or not Agency.objects.filter(pk=given.source_agency_id).exists():
        errors["source_agency"] = "Choose the agency the information came from"
    if given.first_seen_on and given.last_seen_on and given.first_seen_on > given.last_seen_on:
        errors["last_seen_on"] = "Last seen must be the same as or after first seen"
    today = timezone.localdate()
    for field in ("first_seen_on", "last_seen_on"):
        value = getattr(given, field)
        if value and value > today:
            errors[field] = "The date cannot be in the future"
    return errors


def _restriction_of(entity: Entity) -> int | None:
    """The agency a record is restricted to: a child's node by the child's own record's restriction."""
    if entity.kind == EntityKind.CHILD and entity.child_id is not None:
        restricted: int | None = Child.objects.filter(pk=entity.child_id).values_list(
            "restricted_to_agency_id", flat=True
        )[0]
        return restricted
    return entity.restricted_to_agency_id


def _file_link_in_chronology(*, link: Link, by: User, what: str) -> None:
    ends = [link.a, link.b]
    for end, other in ((ends[0], ends[1]), (ends[1], ends[0])):
        if end.kind != EntityKind.CHILD or end.child_id is None:
            continue
        # A link to a child whose record is restricted (to police) is filed for that agency only: the evidence may
        # name the other child, and the entry alone says a hidden child is linked to this one.
        chronology_record(
            child_id=end.child_id,
            by=by,
            kind="mapping_link",
            summary=f"Mapping: {what} ({LinkKind(link.kind).label.lower()} a {EntityKind(other.kind).label.lower()})",
            rationale=link.evidence,
            source_type=LINK_SOURCE,
            source_id=link.pk,
            restricted_to_agency_id=link.restricted_to_agency_id or _restriction_of(other),
        )


@transaction.atomic
def link_record(*, by: User, a: Entity, b: Entity, given: LinkInput) -> Link:
    """Link two records (or a record and a child's entity: see `child_entity`). Both must be ones the user sees."""
    if not may_map(by):
        raise MappingRefused("Only members of the Evolve team record links")
    errors = _link_errors(given)
    if a.pk == b.pk:
        errors["b"] = "A record cannot be linked to itself"
    if errors:
        raise ValidationError(errors)
    _check_restriction(by, given.restricted_to_agency_id)
    # Either way round: "A associates with B" and "B associates with A" are one link in the network. Only links the
    # user may see count: refusing because of a police-restricted link would tell a health worker it exists.
    if link_already_recorded(user=by, a_id=a.pk, b_id=b.pk, kind=given.kind):
        raise ValidationError({"kind": "These two are already linked this way: change that link instead"})
    assert by.team_id is not None and given.source_agency_id is not None
    link = Link.objects.create(
        team_id=by.team_id,
        a=a,
        b=b,
        child_place={a.kind, b.kind} == {EntityKind.CHILD, EntityKind.LOCATION},
        kind=given.kind,
        first_seen_on=given.first_seen_on,
        last_seen_on=given.last_seen_on,
        source_agency_id=given.source_agency_id,
        confidence=given.confidence,
        evidence=given.evidence.strip(),
        restricted_to_agency_id=given.restricted_to_agency_id,
        created_by=by,
        updated_by=by,
    )
    _file_link_in_chronology(link=link, by=by, what="linked")
    return link


@transaction.atomic
def link_update(*, link: Link, by: User, given: LinkInput, based_on_version: int | None) -> Link:
    """Change a link; the state before the change is kept as a revision."""
    if not may_map(by):
        raise MappingRefused("Only members of the Evolve team change links")
    errors = _link_errors(given)
    if errors:
        raise ValidationError(errors)
    _check_restriction(by, given.restricted_to_agency_id)
    current = _locked(Link, link.pk, based_on_version)
    _check_newly_restricted(by, current, given.restricted_to_agency_id)
    if current.withdrawn_at is not None:
        raise MappingRefused("This link was withdrawn; record a new one instead")
    changes_identity = (given.kind, given.restricted_to_agency_id) != (current.kind, current.restricted_to_agency_id)
    if changes_identity and link_already_recorded(
        user=by, a_id=current.a_id, b_id=current.b_id, kind=given.kind, exclude_id=current.pk
    ):
        raise ValidationError({"kind": "These two are already linked this way"})
    LinkRevision.objects.create(
        link=current,
        version=current.version,
        kind=current.kind,
        first_seen_on=current.first_seen_on,
        last_seen_on=current.last_seen_on,
        source_agency_id=current.source_agency_id,
        confidence=current.confidence,
        evidence=current.evidence,
        restricted_to_agency_id=current.restricted_to_agency_id,
        recorded_at=current.updated_at,
        recorded_by_id=current.updated_by_id,
    )
    current.kind = given.kind
    current.first_seen_on = given.first_seen_on
    current.last_seen_on = given.last_seen_on
    current.source_agency_id = given.source_agency_id
    current.confidence = given.confidence
    current.evidence = given.evidence.strip()
    current.restricted_to_agency_id = given.restricted_to_agency_id
    current.updated_by = by
    fields = ("kind", "first_seen_on", "last_seen_on", "source_agency", "confidence", "evidence")
    saved_with_new_version(current, *fields, "restricted_to_agency", "updated_by", "updated_at")
    current.a, current.b = link.a, link.b
    _file_link_in_chronology(link=current, by=by, what="link changed")
    return current


@transaction.atomic
def link_withdraw(*, link: Link, by: User, reason: str, based_on_version: int | None) -> Link:
    """A link found to be wrong is withdrawn, not deleted: it leaves the network, and the record says why."""
    if not may_map(by):
        raise MappingRefused("Only members of the Evolve team withdraw links")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the link is withdrawn"})
    current = _locked(Link, link.pk, based_on_version)
    if current.withdrawn_at is not None:
        raise MappingRefused("This link is already withdrawn")
    current.withdrawn_at = timezone.now()
    current.withdrawn_by = by
    current.withdrawn_reason = reason.strip()
    saved_with_new_version(current, "withdrawn_at", "withdrawn_by", "withdrawn_reason")
    current.a, current.b = link.a, link.b
    _file_link_in_chronology(link=current, by=by, what="link withdrawn")
    return current


# Missing episodes ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeInput:
    started_at: datetime | None
    ended_at: datetime | None = None
    where_found: str = ""
    found_at: Location | None = None
    return_interview_done: bool = False
    return_interview_on: date | None = None
    return_interview_by: str = ""
    notes: str = ""
    linked: Sequence[Entity] = ()


EARLIEST_EPISODE_YEAR = 1990  # no child in a case today was missing before then; older dates are typing slips


def _episode_errors(given: EpisodeInput, *, born_on: date | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    now = timezone.now()
    if given.started_at is None:
        errors["started_at"] = "Enter when the child went missing"
    elif given.started_at > now:
        errors["started_at"] = "When the child went missing cannot be in the future"
    elif born_on is not None and timezone.localdate(given.started_at) < born_on:
        errors["started_at"] = "When the child went missing cannot be before they were born"
    elif given.started_at.year < EARLIEST_EPISODE_YEAR:
        errors["started_at"] = f"Enter when the child went missing: a date from {EARLIEST_EPISODE_YEAR}"
    if given.ended_at is not None:
        if given.started_at is not None and given.ended_at < given.started_at:
            errors["ended_at"] = "The child must be found after they went missing"
        elif given.ended_at > now:
            errors["ended_at"] = "When the child was found cannot be in the future"
    if given.return_interview_on and not given.return_interview_done:
        errors["return_interview_done"] = "Say the return interview was done, or leave its date out"
    if given.return_interview_done:
        if given.ended_at is None:
            errors["return_interview_done"] = "A return interview follows the child's return: enter when found"
        if not given.return_interview_by.strip():
            errors["return_interview_by"] = "Say who did the return interview"
        interviewed = given.return_interview_on
        if interviewed and interviewed > timezone.localdate():
            errors["return_interview_on"] = "The date of the return interview cannot be in the future"
        elif interviewed and given.ended_at and interviewed < timezone.localdate(given.ended_at):
            errors["return_interview_on"] = "The return interview follows the child's return"
    for entity in given.linked:
        if entity.kind not in (EntityKind.PERSON, EntityKind.LOCATION, EntityKind.VEHICLE, EntityKind.CHILD):
            errors["linked"] = "Link people, places and vehicles to a missing episode"
    return errors


def _episode_summary(episode: MissingEpisode) -> str:
    started = timezone.localtime(episode.started_at).strftime("%-d %B %Y %H:%M")
    if episode.ended_at is None:
        return f"Missing episode: went missing {started}, not yet found"
    return f"Missing episode: went missing {started}, found"


def _episode_linked(given: EpisodeInput) -> list[Entity]:
    """The people and places linked, with the place the child was found (so the hotspot map counts it)."""
    linked = {entity.pk: entity for entity in given.linked}
    if given.found_at is not None:
        linked.setdefault(given.found_at.pk, given.found_at)
    return list(linked.values())


def _episode_apply(episode: MissingEpisode, given: EpisodeInput) -> None:
    assert given.started_at is not None
    episode.started_at = given.started_at
    episode.ended_at = given.ended_at
    episode.where_found = given.where_found.strip()
    episode.found_at = given.found_at
    episode.return_interview_done = given.return_interview_done
    episode.return_interview_on = given.return_interview_on
    episode.return_interview_by = given.return_interview_by.strip()
    episode.notes = given.notes.strip()


@transaction.atomic
def missing_episode_record(*, child: Child, by: User, given: EpisodeInput) -> MissingEpisode:
    if not may_map(by):
        raise MappingRefused("Only members of the Evolve team record missing episodes")
    errors = _episode_errors(given, born_on=child.date_of_birth)
    if errors:
        raise ValidationError(errors)
    assert by.team_id is not None
    episode = MissingEpisode(child=child, team_id=by.team_id, created_by=by)
    _episode_apply(episode, given)
    episode.save()
    episode.linked.set(_episode_linked(given))
    chronology_record(
        child_id=child.pk,
        by=by,
        kind="missing_episode",
        summary=_episode_summary(episode),
        rationale=episode.notes,
        source_type=MISSING_SOURCE,
        source_id=episode.pk,
        occurred_at=episode.started_at,
    )
    return episode


@transaction.atomic
def missing_episode_update(
    *, episode: MissingEpisode, by: User, given: EpisodeInput, based_on_version: int | None
) -> MissingEpisode:
    """Record the child found, the return interview, or a correction."""
    if not may_map(by):
        raise MappingRefused("Only members of the Evolve team change missing episodes")
    errors = _episode_errors(given, born_on=episode.child.date_of_birth)
    if errors:
        raise ValidationError(errors)
    current = _locked(MissingEpisode, episode.pk, based_on_version)
    hidden_place, hidden_linked = missing_episode_out_of_sight(user=by, episode=current)
    if hidden_place is not None and given.found_at is None:
        given = replace(given, found_at=hidden_place)
    given = replace(given, linked=[*given.linked, *hidden_linked])
    _episode_apply(current, given)
    fields = ("started_at", "ended_at", "where_found", "found_at", "return_interview_done", "return_interview_on")
    saved_with_new_version(current, *fields, "return_interview_by", "notes", "updated_at")
    current.linked.set(_episode_linked(given))
    chronology_record(
        child_id=current.child_id,
        by=by,
        kind="missing_episode",
        summary=f"{_episode_summary(current)} (updated)",
        rationale=current.notes,
        source_type=MISSING_SOURCE,
        source_id=current.pk,
    )
    return current


# Pursuit ------------------------------------------------------------------------------------------------------------


def _require_pursuit(by: User) -> None:
    if not may_record_pursuit(by):
        raise MappingRefused("Only members of the Evolve team record investigations, prosecutions and disruptions")


@transaction.atomic
def investigation_open(
    *,
    by: User,
    reference: str,
    summary: str,
    opened_on: date | None,
    lead_officer: User | None,
    children: Sequence[Child] = (),
    perpetrators: Sequence[PersonOfConcern] = (),
    restricted_to_agency_id: int | None = None,
) -> Investigation:
    _require_pursuit(by)
    errors: dict[str, str] = {}
    if not reference.strip():
        errors["reference"] = "Enter the crime or operation reference"
    if not summary.strip():
        errors["summary"] = "Say what is being investigated"
    if opened_on is None:
        errors["opened_on"] = "Enter the date the investigation opened"
    elif opened_on > timezone.localdate():
        errors["opened_on"] = "The date cannot be in the future"
    if lead_officer is None:
        errors["lead_officer"] = "Choose the lead officer"
    if not children and not perpetrators:
        errors["children"] = "Name at least one child or one person of concern"
    if errors:
        raise ValidationError(errors)
    _check_restriction(by, restricted_to_agency_id)
    assert by.team_id is not None and opened_on is not None and lead_officer is not None
    investigation = Investigation.objects.create(
        team_id=by.team_id,
        reference=_one_line(reference),
        summary=summary.strip(),
        opened_on=opened_on,
        lead_officer=lead_officer,
        restricted_to_agency_id=restricted_to_agency_id,
        created_by=by,
    )
    investigation.children.set(children)
    investigation.perpetrators.set(perpetrators)
    for child in children:
        chronology_record(
            child_id=child.pk,
            by=by,
            kind="investigation",
            summary=f"Investigation opened ({investigation.reference})",
            source_type=INVESTIGATION_SOURCE,
            source_id=investigation.pk,
            occurred_at=timezone.make_aware(datetime.combine(opened_on, datetime.min.time())),
            restricted_to_agency_id=restricted_to_agency_id,
        )
    return investigation


@transaction.atomic
def investigation_close(
    *, investigation: Investigation, by: User, closed_on: date | None, based_on_version: int | None
) -> Investigation:
    _require_pursuit(by)
    current = _locked(Investigation, investigation.pk, based_on_version)
    if current.closed_on is not None:
        raise MappingRefused("This investigation is already closed")
    if closed_on is None:
        raise ValidationError({"closed_on": "Enter the date the investigation closed"})
    if closed_on < current.opened_on or closed_on > timezone.localdate():
        raise ValidationError({"closed_on": "The investigation closes between its opening and today"})
    current.closed_on = closed_on
    saved_with_new_version(current, "closed_on")
    for child_id in current.children.values_list("pk", flat=True):
        chronology_record(
            child_id=child_id,
            by=by,
            kind="investigation",
            summary=f"Investigation closed ({current.reference})",
            source_type=INVESTIGATION_SOURCE,
            source_id=current.pk,
            restricted_to_agency_id=current.restricted_to_agency_id,
        )
    return current


@transaction.atomic
def prosecution_record(
    *,
    by: User,
    perpetrator: PersonOfConcern,
    charges: str,
    charged_on: date | None,
    court: str = "",
    investigation: Investigation | None = None,
    restricted_to_agency_id: int | None = None,
) -> Prosecution:
    _require_pursuit(by)
    errors: dict[str, str] = {}
    if not charges.strip():
        errors["charges"] = "Enter the charges"
    if charged_on is None:
        errors["charged_on"] = "Enter the date of charge"
    elif charged_on > timezone.localdate():
        errors["charged_on"] = "The date cannot be in the future"
    if errors:
        raise ValidationError(errors)
    _check_restriction(by, restricted_to_agency_id)
    # Charges name the person: against a person restricted to an agency, they are that agency's too.
    restricted_to_agency_id = restricted_to_agency_id or perpetrator.restricted_to_agency_id
    assert by.team_id is not None and charged_on is not None
    return Prosecution.objects.create(
        team_id=by.team_id,
        investigation=investigation,
        perpetrator=perpetrator,
        charges=charges.strip(),
        charged_on=charged_on,
        court=_one_line(court),
        restricted_to_agency_id=restricted_to_agency_id,
        created_by=by,
    )


@transaction.atomic
def prosecution_conclude(
    *,
    prosecution: Prosecution,
    by: User,
    outcome: str,
    concluded_on: date | None,
    notes: str = "",
    based_on_version: int | None,
) -> Prosecution:
    _require_pursuit(by)
    current = _locked(Prosecution, prosecution.pk, based_on_version)
    if current.outcome != ProsecutionOutcome.PENDING:
        raise MappingRefused("This prosecution's outcome is already recorded")
    errors: dict[str, str] = {}
    if outcome not in ProsecutionOutcome.values or outcome == ProsecutionOutcome.PENDING:
        errors["outcome"] = "Choose the outcome"
    if concluded_on is None:
        errors["concluded_on"] = "Enter the date it concluded"
    elif concluded_on < current.charged_on or concluded_on > timezone.localdate():
        errors["concluded_on"] = "It concludes between the date of charge and today"
    if errors:
        raise ValidationError(errors)
    current.outcome = outcome
    current.concluded_on = concluded_on
    current.outcome_notes = notes.strip()
    return saved_with_new_version(current, "outcome", "concluded_on", "outcome_notes")


PERSON_ORDERS = (DisruptionKind.CAWN, DisruptionKind.SRO, DisruptionKind.SHPO)


@transaction.atomic
def disruption_record(
    *,
    by: User,
    kind: str,
    target: Entity,
    taken_on: date | None,
    child: Child | None = None,
    expires_on: date | None = None,
    details: str = "",
    restricted_to_agency_id: int | None = None,
) -> Disruption:
    _require_pursuit(by)
    errors: dict[str, str] = {}
    if kind not in DisruptionKind.values:
        errors["kind"] = "Choose the kind of disruption"
    elif kind in PERSON_ORDERS and target.kind != EntityKind.PERSON:
        errors["target"] = f"A {DisruptionKind(kind).label} is served on a person of concern"
    if target.kind == EntityKind.CHILD:
        errors["target"] = "Disrupt a person, place, vehicle, group or online identity, not a child"
    if kind == DisruptionKind.CAWN and child is None:
        errors["child"] = "Name the child the Child Abduction Warning Notice protects"
    if taken_on is None:
        errors["taken_on"] = "Enter the date it was served or granted"
    elif taken_on > timezone.localdate():
        errors["taken_on"] = "The date cannot be in the future"
    if expires_on and taken_on and expires_on < taken_on:
        errors["expires_on"] = "It expires after it was served or granted"
    if errors:
        raise ValidationError(errors)
    _check_restriction(by, restricted_to_agency_id)
    # A disruption names its target: of a record restricted to an agency, it is that agency's too.
    restricted_to_agency_id = restricted_to_agency_id or target.restricted_to_agency_id
    assert by.team_id is not None and taken_on is not None
    disruption = Disruption.objects.create(
        team_id=by.team_id,
        kind=kind,
        target=target,
        child=child,
        taken_on=taken_on,
        expires_on=expires_on,
        details=details.strip(),
        restricted_to_agency_id=restricted_to_agency_id,
        created_by=by,
    )
    if child is not None:
        chronology_record(
            child_id=child.pk,
            by=by,
            kind="disruption",
            summary=f"Disruption: {DisruptionKind(kind).label}",
            rationale=disruption.details,
            source_type=DISRUPTION_SOURCE,
            source_id=disruption.pk,
            restricted_to_agency_id=restricted_to_agency_id,
        )
    return disruption


@transaction.atomic
def disruption_outcome_record(
    *,
    disruption: Disruption,
    by: User,
    outcome: str,
    outcome_on: date | None,
    notes: str = "",
    based_on_version: int | None,
) -> Disruption:
    _require_pursuit(by)
    current = _locked(Disruption, disruption.pk, based_on_version)
    if current.outcome != DisruptionOutcome.IN_FORCE:
        raise MappingRefused("This disruption's outcome is already recorded")
    errors: dict[str, str] = {}
    if outcome not in DisruptionOutcome.values or outcome == DisruptionOutcome.IN_FORCE:
        errors["outcome"] = "Choose the outcome"
    if outcome_on is None:
        errors["outcome_on"] = "Enter the date of the outcome"
    elif outcome_on < current.taken_on or outcome_on > timezone.localdate():
        errors["outcome_on"] = "The outcome falls between the date it was served and today"
    if errors:
        raise ValidationError(errors)
    current.outcome = outcome
    current.outcome_on = outcome_on
    current.outcome_notes = notes.strip()
    return saved_with_new_version(current, "outcome", "outcome_on", "outcome_notes")
