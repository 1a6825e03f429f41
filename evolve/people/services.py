"""Writing children: creation with its duplicate check, changes with a version check, grants. Every write is
audited in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from evolve.access import gate
from evolve.access.grants import child_access_grant as grant_view
from evolve.access.models import LawfulBasis, ShareConsent
from evolve.access.sharing import information_share_record
from evolve.accounts.models import Team, User
from evolve.accounts.roles import Role
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.people.models import Child, ChildAddress, ChildAlias, ChildIdentifier
from evolve.people.permissions import may_record_child, may_restrict_to_agency
from evolve.people.selectors import normalise_names

OLDEST_AGE = 25  # care leavers are supported to 25; anyone older is not a child in this service

IDENTITY_FIELDS = (
    "first_name",
    "middle_names",
    "last_name",
    "date_of_birth",
    "estimated_age",
    "gender",
    "ethnicity",
    "school",
    "looked_after_status",
    "looked_after_by",
)


class ConcurrentEditError(Exception):
    """Someone else saved the record after the version this change was based on."""

    def __init__(self, current: Child) -> None:
        super().__init__("The record was changed by someone else")
        self.current = current


@dataclass
class NewAddress:
    line_1: str
    line_2: str = ""
    town: str = ""
    postcode: str = ""
    lived_from: date | None = None


@dataclass
class ChildDetails:
    first_name: str
    last_name: str
    middle_names: str = ""
    date_of_birth: date | None = None
    estimated_age: int | None = None
    gender: str = "not_known"
    ethnicity: str = "NOBT"
    school: str = ""
    looked_after_status: str = "not_known"
    looked_after_by: str = ""
    aliases: list[str] = field(default_factory=list)
    address: NewAddress | None = None


def child_identity_validate(
    *, first_name: str, last_name: str, date_of_birth: date | None, estimated_age: int | None, today: date | None = None
) -> None:
    """The rules every way of recording a child shares. Raises ValidationError keyed by field."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if not (first_name or "").strip():
        errors["first_name"] = "Enter the child's first name"
    if not (last_name or "").strip():
        errors["last_name"] = "Enter the child's last name"
    if date_of_birth is not None:
        if date_of_birth > today:
            errors["date_of_birth"] = "Date of birth must be today or in the past"
        elif date_of_birth < date(today.year - OLDEST_AGE - 1, today.month, 1):
            errors["date_of_birth"] = f"Date of birth must be within the last {OLDEST_AGE} years"
    if estimated_age is not None and not 0 <= estimated_age <= OLDEST_AGE:
        errors["estimated_age"] = f"Estimated age must be between 0 and {OLDEST_AGE}"
    if date_of_birth is not None and estimated_age is not None:
        errors["estimated_age"] = "Give a date of birth or an estimated age, not both"
    if errors:
        raise ValidationError(errors)


def _search_names(child: Child, aliases: list[str]) -> str:
    return normalise_names(f"{child.first_name} {child.middle_names} {child.last_name}", *aliases)


@transaction.atomic
def child_create(*, by: User, details: ChildDetails, restrict_to_my_agency: bool = False) -> Child:
    """Record a child. A team member's child is open to their team; anyone else is granted sight of the child they
    recorded, so nobody loses sight of what they entered. The caller has already offered likely duplicates."""
    if not may_record_child(by):
        raise PermissionDenied("Your role does not record children")
    if restrict_to_my_agency and not may_restrict_to_agency(by):
        raise PermissionDenied("You cannot restrict a record to an agency")
    child_identity_validate(
        first_name=details.first_name,
        last_name=details.last_name,
        date_of_birth=details.date_of_birth,
        estimated_age=details.estimated_age,
    )
    child = Child(
        **{name: getattr(details, name) for name in IDENTITY_FIELDS},
        age_estimated_on=timezone.localdate() if details.estimated_age is not None else None,
        created_by=by,
        open_to_team_id=by.team_id if by.is_team_member else None,
        restricted_to_agency_id=by.agency_id if restrict_to_my_agency else None,
    )
    child.first_name = child.first_name.strip()
    child.last_name = child.last_name.strip()
    aliases = [alias.strip() for alias in details.aliases if alias.strip()]
    child.search_names = _search_names(child, aliases)
    child.save()
    ChildAlias.objects.bulk_create(ChildAlias(child=child, name=alias) for alias in aliases)
    if details.address:
        ChildAddress.objects.create(child=child, **details.address.__dict__)
    record_access(user=by, children=[child], action=AccessAction.CREATED, what="new record")
    if not by.is_team_member:
        grant_view(child=child, user=by)
        record_access(
            user=by, children=[child], action=AccessAction.GRANTED, what="granted to the person who recorded it"
        )
    return child


@transaction.atomic
def child_update(*, child: Child, by: User, based_on_version: int, changes: dict[str, Any]) -> Child:
    """Change identity fields. Refused with ConcurrentEditError if the record moved on since `based_on_version`,
    so the second of two editors sees the first one's change instead of overwriting it."""
    unknown = set(changes) - set(IDENTITY_FIELDS)
    if unknown:
        raise ValueError(f"Not identity fields: {sorted(unknown)}")
    merged = {name: changes.get(name, getattr(child, name)) for name in IDENTITY_FIELDS}
    child_identity_validate(
        first_name=merged["first_name"],
        last_name=merged["last_name"],
        date_of_birth=merged["date_of_birth"],
        estimated_age=merged["estimated_age"],
    )
    changed = sorted(name for name in IDENTITY_FIELDS if merged[name] != getattr(child, name))
    current = Child.objects.select_for_update().get(pk=child.pk)
    if current.version != based_on_version:
        raise ConcurrentEditError(current)
    if not changed:
        return current
    for name in changed:
        setattr(current, name, merged[name])
    if "estimated_age" in changed:
        current.age_estimated_on = timezone.localdate() if current.estimated_age is not None else None
    current.search_names = _search_names(current, list(current.aliases.values_list("name", flat=True)))
    current.version = F("version") + 1
    current.save()
    current.refresh_from_db()
    record_access(user=by, children=[current], action=AccessAction.UPDATED, what="changed " + ", ".join(changed))
    return current


@transaction.atomic
def child_alias_add(*, child: Child, by: User, name: str, kind: str = ChildAlias.Kind.ALIAS) -> ChildAlias:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Enter the name the child is also known by"})
    alias = ChildAlias.objects.create(child=child, name=name, kind=kind)
    Child.objects.filter(pk=child.pk).update(
        search_names=_search_names(child, list(child.aliases.values_list("name", flat=True))),
        version=F("version") + 1,
    )
    record_access(user=by, children=[child], action=AccessAction.UPDATED, what="added an alias")
    return alias


def child_hold(*, child_id: int) -> None:
    """Hold the child's row until the caller's transaction ends, so changes to one child that must not interleave
    (two address moves; a legal hold and a retention decision) are taken one after the other. Changes nothing."""
    Child.objects.select_for_update().filter(pk=child_id).values_list("pk", flat=True).first()


@transaction.atomic
def child_address_add(*, child: Child, by: User, address: NewAddress) -> ChildAddress:
    """A move: the new address becomes current and any current one ends the day the child moved."""
    if not address.line_1.strip():
        raise ValidationError({"line_1": "Enter the building and street"})
    moved_on = address.lived_from or timezone.localdate()
    if moved_on > timezone.localdate():
        raise ValidationError({"lived_from": "The date the child moved in must be today or in the past"})
    # Two moves recorded at once take turns on the child's row: each ends the address current when it runs, so the
    # child never has two current addresses (both moves stay in the history).
    child_hold(child_id=child.pk)
    ChildAddress.objects.filter(child=child, lived_to__isnull=True).update(lived_to=moved_on)
    new = ChildAddress.objects.create(
        child=child,
        line_1=address.line_1.strip(),
        line_2=address.line_2.strip(),
        town=address.town.strip(),
        postcode=address.postcode.strip().upper(),
        lived_from=moved_on,
    )
    record_access(user=by, children=[child], action=AccessAction.UPDATED, what="added an address")
    return new


@transaction.atomic
def child_identifier_add(*, child: Child, by: User, system: str, value: str) -> ChildIdentifier:
    value = value.strip()
    if not value:
        raise ValidationError({"value": "Enter the reference"})
    if ChildIdentifier.objects.filter(child=child, system=system, value=value).exists():
        raise ValidationError({"value": "The child already has this reference"})
    identifier = ChildIdentifier.objects.create(child=child, agency_id=by.agency_id, system=system, value=value)
    record_access(user=by, children=[child], action=AccessAction.UPDATED, what="added an identifier")
    return identifier


@transaction.atomic
def child_open_to_team(*, child: Child, team: Team, by: User) -> None:
    """The child becomes one the team's members see (co-allocation to Evolve). Idempotent."""
    if child.open_to_team_id == team.pk:
        return
    Child.objects.filter(pk=child.pk).update(open_to_team=team, version=F("version") + 1)
    record_access(user=by, children=[child], action=AccessAction.UPDATED, what=f"opened to the team {team.pk}")


@transaction.atomic
def child_access_grant(*, child: Child, to: User, by: User, reason: str) -> None:
    """An explicit, recorded grant: `to` may now see `child` (restricted or not)."""
    if not by.is_manager or not gate.can_see(by, child):
        raise PermissionDenied("Only a manager who can see the child's record can grant access to it")
    if not reason.strip():
        raise ValidationError({"reason": "Say why this person needs to see the record"})
    if to.has_role(Role.GOVERNANCE):
        raise ValidationError({"username": "The governance group sees figures only, never a child's record"})
    if gate.can_see(to, child):
        raise ValidationError({"username": f"{to.display_name} can already see this record"})
    grant_view(child=child, user=to)
    # Every grant is an entry in the information-sharing ledger; a named grant of the whole record has no source.
    information_share_record(
        child_id=child.pk,
        what="The child's whole record (named access given by a manager)",
        by=by,
        to_user=to,
        lawful_basis=LawfulBasis.SAFEGUARDING,
        consent=ShareConsent.NOT_SOUGHT,
        reason_without_consent=reason.strip(),
    )
    record_access(user=by, children=[child], action=AccessAction.GRANTED, what=f"granted to user {to.pk}: {reason}")
