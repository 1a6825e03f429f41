"""Reading users and teams."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role


def user_get_active_by_username(*, username: str) -> User | None:
    return User.objects.filter(username=username.strip(), is_active=True).select_related("agency").first()


def users_with_role(*, roles: list[Role], team: Team | None = None) -> QuerySet[User]:
    """Active users holding any of `roles` (optionally in one team)."""
    users = User.objects.filter(is_active=True, roles__overlap=[str(role) for role in roles])
    return users.filter(team=team) if team is not None else users


def teams_all() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def agencies_by_short_name(*, short_names: list[str]) -> dict[str, Agency]:
    """The agencies with these short names (reference data, not gated), keyed by short name; unknown ones left out."""
    return {agency.short_name: agency for agency in Agency.objects.filter(short_name__in=short_names)}


AgencyGroups = list[tuple[str, list[tuple[str, str]]]]


def source_agencies(*, team_id: int | None) -> AgencyGroups:
    """The agencies information can come from, the team's own first: what every "Source agency" list offers (a risk
    assessment's indicators, a mapping link). One query."""
    in_team = Team.agencies.through.objects.filter(agency_id=OuterRef("pk"), team_id=team_id or 0)
    ours: list[tuple[str, str]] = []
    others: list[tuple[str, str]] = []
    for pk, name, ours_too in (
        Agency.objects.annotate(ours=Exists(in_team)).order_by("name").values_list("pk", "name", "ours")
    ):
        (ours if ours_too else others).append((str(pk), name))
    groups: AgencyGroups = []
    if ours:
        groups.append(("Agencies in the team", ours))
    if others:
        groups.append(("Other agencies" if ours else "Agencies", others))
    return groups
