"""Who sees and does what with the team's mapping and pursuit records (DESIGN.md, "Mapping and intelligence",
"Information sharing and access").

- People of concern, locations, vehicles, groups, online identities, links, investigations, prosecutions and
  disruptions are the team's intelligence: the team's members see them, except a record restricted to another agency
  (police intelligence restricted to police). Nobody outside the team sees them; governance sees none.
- A child's entity is seen by whoever may see the child's record (the child gate decides).
- A link is seen only when both its ends are: a link to a hidden person would tell a health worker the person
  exists. The network walks only visible links (`mapping.network`).
- A missing episode is the team's work about a child (`team_work_scope`), like an assessment.
- Any team member records and links; restricting a record to an agency is for members of that agency only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from evolve.access import gate
from evolve.access.grants import team_work_scope
from evolve.accounts.models import User
from evolve.people.models import Child
from evolve.people.permissions import child_row_rule
from mapping.models import (
    Disruption,
    Entity,
    EntityKind,
    Group,
    Investigation,
    Link,
    Location,
    MissingEpisode,
    OnlineIdentity,
    PersonOfConcern,
    Prosecution,
    Vehicle,
)


def _team_intelligence(user: User, prefix: str = "") -> Q:
    """The team's own records, less those restricted to another agency."""
    if not user.is_team_member:
        return Q(pk__in=[])
    return Q(**{f"{prefix}team_id": user.team_id}) & (
        Q(**{f"{prefix}restricted_to_agency__isnull": True}) | Q(**{f"{prefix}restricted_to_agency_id": user.agency_id})
    )


def entity_scope(user: User, prefix: str = "") -> Q:
    """A child's entity when the child gate shows the child; any other kind when it is the team's intelligence.

    One `id IN (children's entities UNION ALL the team's own)`: each arm uses its index (the child's entity by
    `child_id`, the team's records by team and kind), where an OR of the two would read every entity in the area.
    """
    children = gate.visible_to(user, Child.objects.all()).values("pk")
    childrens = Entity.objects.filter(kind=EntityKind.CHILD, child_id__in=children).values("pk").order_by()
    teams = Entity.objects.filter(_team_intelligence(user)).exclude(kind=EntityKind.CHILD).values("pk").order_by()
    return Q(**{f"{prefix}pk__in": childrens.union(teams, all=True)})


def _entity_rule(user: User) -> Q:
    """`entity_scope`'s rule as a condition on each row (a child's entity when the child gate shows the child; any
    other kind when it is the team's intelligence), for a query already narrowed to a handful of records: as a
    subquery, `entity_scope` would first build every record the team may see, and the gate's scope of children every
    child the user may see."""
    child = Q(kind=EntityKind.CHILD)
    return (child & child_row_rule(user, "child__")) | (~child & _team_intelligence(user))


def entity_among(ids: list[int]) -> RawSQL:
    """A condition for an Entity query: its id is one of `ids`, sent as one array parameter. An IN list takes a
    parameter per record: a network's second hop or a year's hotspots reach thousands of records, and building,
    sending and planning that many parameters cost more than the lookups through the primary key."""
    return RawSQL('"mapping_entity"."id" = ANY(%s)', (ids,), output_field=BooleanField())


def _visible_rows(user: User, ids: Iterable[int], *fields: str) -> list[tuple[Any, ...]]:
    """`fields` of those of these records the user may see: the gate's rule checked row by row, through the primary
    key (the ids sent as one array)."""
    ids = list(ids)
    if not ids:
        return []
    return list(Entity.objects.filter(entity_among(ids), _entity_rule(user)).values_list(*fields))


def visible_entity_kinds(user: User, ids: Iterable[int]) -> dict[int, str]:
    """Which of these records the user may see (a network's next hop, the ends of a period's links), each with its
    kind. Tested to agree with the gate for every role and kind of record."""
    return dict(_visible_rows(user, ids, "pk", "kind"))


def visible_entity_labels(user: User, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """`visible_entity_kinds` with each record's own label (blank for a child's record: the child's name is not
    in it), for a list that names the records it counts."""
    return {pk: (kind, label) for pk, kind, label in _visible_rows(user, ids, "pk", "kind", "label")}


def visible_entity_ids(user: User, ids: Iterable[int]) -> set[int]:
    """Which of these records the user may see (the network walk's next hop: ids only)."""
    return {pk for (pk,) in _visible_rows(user, ids, "pk")}


def link_own_scope(user: User) -> Q:
    """A link's own restriction (the team's, less a link restricted to another agency), without the rule on its
    ends: for a walk that has already checked each end with `visible_entity_ids`."""
    return _team_intelligence(user)


class EntityPolicy:
    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(entity_scope(user))


class LinkPolicy:
    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        visible = Entity.objects.filter(entity_scope(user)).values("pk")
        return queryset.filter(link_own_scope(user), a_id__in=visible, b_id__in=visible)


class TeamIntelligencePolicy:
    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(_team_intelligence(user))


class AboutRecordPolicy:
    """A prosecution or disruption names its person, place or vehicle: seen only when that record is (it may be
    restricted after the prosecution or disruption was recorded). A disruption naming a child (a Child Abduction
    Warning Notice) is seen only by those who may see the child: it would show the child's name. A prosecution from
    an investigation is seen only by those who may see the investigation: it would show its reference."""

    def __init__(self, field: str, child_field: str = "", investigation_field: str = "") -> None:
        self.field = field
        self.child_field = child_field
        self.investigation_field = investigation_field

    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        visible = Entity.objects.filter(entity_scope(user)).values("pk")
        queryset = queryset.filter(_team_intelligence(user), **{f"{self.field}__in": visible})
        if self.child_field:
            children = gate.visible_to(user, Child.objects.all()).values("pk")
            queryset = queryset.filter(
                Q(**{f"{self.child_field}__isnull": True}) | Q(**{f"{self.child_field}__in": children})
            )
        if self.investigation_field:
            investigations = Investigation.objects.filter(_team_intelligence(user)).values("pk")
            queryset = queryset.filter(
                Q(**{f"{self.investigation_field}__isnull": True})
                | Q(**{f"{self.investigation_field}__in": investigations})
            )
        return queryset


class MissingEpisodePolicy:
    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(team_work_scope(user=user))


for model in (Entity, PersonOfConcern, Location, Vehicle, Group, OnlineIdentity):
    gate.register(model, EntityPolicy())
gate.register(Link, LinkPolicy())
gate.register(Investigation, TeamIntelligencePolicy())
gate.register(Prosecution, AboutRecordPolicy("perpetrator_id", investigation_field="investigation_id"))
gate.register(Disruption, AboutRecordPolicy("target_id", child_field="child_id"))
gate.register(MissingEpisode, MissingEpisodePolicy())


def may_map(user: User) -> bool:
    """Record people, places, vehicles, groups, identities and links; record missing episodes."""
    return user.is_team_member


def may_restrict_to(user: User, agency_id: int | None) -> bool:
    return agency_id is None or (user.agency_id is not None and user.agency_id == agency_id)


def may_record_pursuit(user: User) -> bool:
    """Investigations, prosecutions and disruptions: any team member (the police lead them; the others record the
    orders they serve and the licensing actions they take)."""
    return user.is_team_member


def may_flag_for_disruption(user: User) -> bool:
    return user.is_team_member
