"""Reading the team's mapping and pursuit records: always through the gate (`mapping.permissions`), the network in
`mapping.network`. A selector that shows a child's name or details logs it (evolve.audit).

Other apps read only through here: the daily review queue and the case page ask for the missing-episode flag, the
monthly report for the pursuit figures.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, When
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone

from evolve.access import gate
from evolve.accounts.models import User
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.people.models import Child
from mapping.models import (
    Disruption,
    DisruptionKind,
    DisruptionOutcome,
    Entity,
    EntityKind,
    Investigation,
    Link,
    LinkRevision,
    Location,
    MissingEpisode,
    PersonOfConcern,
    Prosecution,
    ProsecutionOutcome,
)
from mapping.permissions import link_own_scope, visible_entity_labels

PERSON_SIMILARITY = 0.35
PERSON_SIMILARITY_WITHOUT_MATCHING_BIRTH_DATE = 0.8
NAME_SIMILARITY = 0.5
MAX_CANDIDATES = 10
# The one-to-one tables of each kind, for fetching an entity with its details in one query.
DETAIL_RELATIONS = ("personofconcern", "location", "vehicle", "group", "onlineidentity")
KIND_RELATION = {
    EntityKind.PERSON: "personofconcern",
    EntityKind.LOCATION: "location",
    EntityKind.VEHICLE: "vehicle",
    EntityKind.GROUP: "group",
    EntityKind.ONLINE_IDENTITY: "onlineidentity",
}


# Entities -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateCheck:
    """Records of the team like the one being recorded. Only those the user may see are offered: a record
    restricted to another agency is never hinted at (it would tell a health worker police hold intelligence)."""

    candidates: Sequence[Entity]


def _name(details: dict[str, Any]) -> str:
    return " ".join(f"{details.get('first_name') or ''} {details.get('last_name') or ''}".lower().split())


def entity_duplicate_candidates(
    *, user: User, kind: str, details: dict[str, Any], exclude_id: int | None = None
) -> DuplicateCheck:
    """Similar names for people (with the same or an unknown date of birth) and groups; the same postcode or a
    similar name and address for places; the same registration for vehicles; the same handle on the same platform
    for online identities. `details` are cleaned (see `mapping.services`)."""
    if user.team_id is None:
        return DuplicateCheck(candidates=[])
    queryset: QuerySet[Any] = gate.visible_to(user, Entity.objects.filter(kind=kind, team_id=user.team_id))
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    if kind == EntityKind.PERSON:
        names = [name for name in [_name(details), *(a.lower() for a in details.get("aliases") or [])] if name]
        if not names:
            return DuplicateCheck(candidates=[])
        matches = Q()
        for name in names:
            matches |= Q(search_text__trigram_word_similar=name)
        # The best of the name and each alias: "John Other, known as Big D" matches the "Big D" already recorded.
        scores = [TrigramWordSimilarity(name, "search_text") for name in names]
        best = Greatest(*scores) if len(scores) > 1 else scores[0]
        queryset = queryset.filter(matches).annotate(similarity=best)
        strong = Q(similarity__gte=PERSON_SIMILARITY_WITHOUT_MATCHING_BIRTH_DATE)
        born = details.get("date_of_birth")
        same_birth = Q(personofconcern__date_of_birth=born) | Q(personofconcern__date_of_birth__isnull=True)
        close = Q(similarity__gte=PERSON_SIMILARITY)
        queryset = queryset.filter(strong | (close & same_birth) if born else close)
    elif kind == EntityKind.LOCATION:
        text = " ".join(part for part in (details.get("name"), details.get("address")) if part).lower()
        matches = Q(location__postcode=details["postcode"]) if details.get("postcode") else Q(pk__in=[])
        if text:
            queryset = queryset.annotate(similarity=TrigramWordSimilarity(text, "search_text"))
            matches |= Q(similarity__gte=NAME_SIMILARITY)
        queryset = queryset.filter(matches)
    elif kind == EntityKind.VEHICLE:
        registration = details.get("registration_normalised")
        if not registration:
            return DuplicateCheck(candidates=[])
        queryset = queryset.filter(vehicle__registration_normalised=registration)
    elif kind == EntityKind.GROUP:
        queryset = queryset.annotate(similarity=TrigramWordSimilarity(details["name"].lower(), "search_text")).filter(
            similarity__gte=NAME_SIMILARITY
        )
    elif kind == EntityKind.ONLINE_IDENTITY:
        queryset = queryset.filter(
            onlineidentity__handle_normalised=details["handle_normalised"],
            onlineidentity__platform__iexact=details["platform"],
        )
    else:
        return DuplicateCheck(candidates=[])
    candidates = queryset.select_related("restricted_to_agency").order_by("label", "id")[:MAX_CANDIDATES]
    return DuplicateCheck(candidates=list(candidates))


def entities_with_details(queryset: QuerySet[Entity]) -> QuerySet[Entity]:
    return queryset.select_related("child", "restricted_to_agency", "created_by", *DETAIL_RELATIONS)


def entity_get_for_user(*, user: User, public_id: uuid.UUID | str) -> Entity:
    """The entity with its details (`entity_details`), or 404 whether it is missing or not one the user may see."""
    entity = gate.get_visible_or_404(user, entities_with_details(Entity.objects.all()), public_id=public_id)
    if entity.child is not None:
        record_access(user=user, children=[entity.child], action=AccessAction.VIEWED, what="mapping record")
    return entity


def entity_details(entity: Entity) -> Any:
    """The kind's own record (a PersonOfConcern, a Location...) from an entity fetched by these selectors."""
    relation = KIND_RELATION.get(EntityKind(entity.kind))
    return getattr(entity, relation) if relation else entity


def entities_for_user(*, user: User, kind: str = "", search: str = "") -> QuerySet[Entity]:
    """The team's people, places, vehicles, groups and identities (not children: they have their own list), best
    match first when searching. Restricted records the user may not see are not there at all."""
    queryset = gate.visible_to(user, entities_with_details(Entity.objects.exclude(kind=EntityKind.CHILD)))
    if kind:
        queryset = queryset.filter(kind=kind)
    search = " ".join(search.lower().split())
    if search:
        return (
            queryset.annotate(similarity=TrigramWordSimilarity(search, "search_text"))
            .filter(Q(search_text__trigram_word_similar=search) | Q(search_text__icontains=search))
            .order_by("-similarity", "label", "id")
        )
    return queryset.order_by("kind", "label", "id")


def people_of_concern_for_user(*, user: User) -> QuerySet[PersonOfConcern]:
    return gate.visible_to(user, PersonOfConcern.objects.all()).order_by("last_name", "first_name", "id")


def locations_for_user(*, user: User) -> QuerySet[Location]:
    return gate.visible_to(user, Location.objects.all()).order_by("label", "id")


def child_entity_for(*, child_id: int) -> Entity | None:
    """The child's entity, if the child was ever linked. Callers have already checked the child is visible."""
    return Entity.objects.filter(child_id=child_id).first()


# Links --------------------------------------------------------------------------------------------------------------


def _links(queryset: QuerySet[Link]) -> QuerySet[Link]:
    return queryset.select_related(
        "a",
        "a__child",
        "b",
        "b__child",
        "source_agency",
        "restricted_to_agency",
        "created_by",
        "updated_by",
        "withdrawn_by",
    )


def links_for_entity(*, user: User, entity: Entity, include_withdrawn: bool = False) -> list[Link]:
    """The links of one record the user may see, newest first; the other end's child (if any) is logged."""
    queryset = gate.visible_to(user, _links(Link.objects.filter(Q(a=entity) | Q(b=entity))))
    if not include_withdrawn:
        queryset = queryset.filter(withdrawn_at__isnull=True)
    # Current links first (ascending puts NULLs last in PostgreSQL), then the withdrawn, newest first.
    links = list(queryset.order_by(F("withdrawn_at").desc(nulls_first=True), "-updated_at", "-id"))
    _log_children(user, [end for link in links for end in (link.a, link.b) if end.pk != entity.pk], "mapping links")
    return links


def link_get_for_user(*, user: User, public_id: uuid.UUID | str) -> Link:
    link = gate.get_visible_or_404(user, _links(Link.objects.all()), public_id=public_id)
    _log_children(user, [link.a, link.b], "mapping link")
    return link


def link_already_recorded(*, user: User, a_id: int, b_id: int, kind: str, exclude_id: int | None = None) -> bool:
    """Whether a current link of `kind` joins the two records, either way round, among the links the user may see.
    One they may not see (police intelligence, another team's) is never a reason to refuse them: that would tell them
    it exists. The database's constraints allow the same link once per team and restriction."""
    queryset = gate.visible_to(
        user,
        Link.objects.filter(Q(a_id=a_id, b_id=b_id) | Q(a_id=b_id, b_id=a_id), kind=kind, withdrawn_at__isnull=True),
    )
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.exists()


def link_revisions(*, link: Link) -> list[LinkRevision]:
    """What the link said before each edit, newest first. The caller has the link through the gate."""
    return list(link.revisions.select_related("source_agency", "restricted_to_agency", "recorded_by"))


def _log_children(user: User, entities: Iterable[Entity], what: str) -> None:
    children = {entity.child_id: entity.child for entity in entities if entity.child is not None}
    if children:
        record_access(user=user, children=list(children.values()), action=AccessAction.LISTED, what=what)


def links_in_period(*, since: date | None, until: date | None) -> Q:
    """Links seen at some time between `since` and `until`: a link's span runs from first seen (or, not known, from
    last seen, or else from when it was recorded) to last seen; a link with no last seen is still current. A link
    recorded today about a child last seen at a hotel in March 2025 was seen in March 2025, not only from today."""
    query = Q()
    if until is not None:
        query &= (
            Q(first_seen_on__lte=until)
            | Q(first_seen_on__isnull=True, last_seen_on__lte=until)
            | Q(first_seen_on__isnull=True, last_seen_on__isnull=True, created_at__date__lte=until)
        )
    if since is not None:
        query &= Q(last_seen_on__isnull=True) | Q(last_seen_on__gte=since)
    return query


def year_before(day: date) -> date:
    """The same day a year earlier (28 February for 29 February), or the first date there is."""
    if day.year == date.min.year:
        return date.min
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _day_bounds(since: date, until: date) -> Q:
    """Started from the first moment of `since` to the last of `until`, local time: both days are in the period."""
    query = Q(started_at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until < date.max:  # the day after the last date there is cannot be written down
        query &= Q(started_at__lt=timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min)))
    return query


# Children linked through a common person or place -------------------------------------------------------------------


@dataclass
class LinkedChild:
    child: Child
    through: list[Entity] = field(default_factory=list)


def linked_children(*, user: User, child: Child) -> list[LinkedChild]:
    """Other children linked to a person, place, vehicle, group or identity this child is linked to: two queries
    however many there are. Only what the user may see counts, so a hidden record links nobody."""
    own = child_entity_for(child_id=child.pk)
    if own is None:
        return []
    visible_links = gate.visible_to(user, Link.objects.filter(withdrawn_at__isnull=True))
    first_hop = visible_links.filter(Q(a=own) | Q(b=own)).annotate(
        other=Case(When(a_id=own.pk, then=F("b_id")), default=F("a_id"))
    )
    commons = first_hop.exclude(a__kind=EntityKind.CHILD, b__kind=EntityKind.CHILD).values("other")
    second = (
        visible_links.filter(
            Q(a_id__in=commons, b__kind=EntityKind.CHILD) | Q(b_id__in=commons, a__kind=EntityKind.CHILD)
        )
        .exclude(a=own)
        .exclude(b=own)
        .select_related("a", "a__child", "b", "b__child")
    )
    found: dict[int, LinkedChild] = {}
    for link in second:
        child_end, common = (link.a, link.b) if link.a.kind == EntityKind.CHILD else (link.b, link.a)
        assert child_end.child is not None
        entry = found.setdefault(child_end.child_id or 0, LinkedChild(child=child_end.child))
        if common.pk not in {entity.pk for entity in entry.through}:
            entry.through.append(common)
    result = sorted(found.values(), key=lambda item: (item.child.last_name, item.child.first_name, item.child.pk))
    if result:
        shown = [item.child for item in result]
        record_access(user=user, children=shown, action=AccessAction.LISTED, what="children linked through mapping")
    return result


# Hotspots -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hotspot:
    location: Location
    children: int
    episodes: int

    @property
    def total(self) -> int:
        return self.children + self.episodes


MAX_HOTSPOTS = 500


def hotspots(*, user: User, since: date, until: date) -> list[Hotspot]:
    """Visible locations with the number of visible children linked to them, and of missing episodes that involved
    them, between `since` and `until`. Busiest first.

    Four queries whatever the data: the period's links between a child and a place (marked `child_place`, read
    through their own index), the records the period's episodes involved, which of the records at the links' ends and
    the episodes' records the user may see, with their kinds and labels (`visible_entity_labels`, through the primary
    key: the gate's scope as a subquery would first build every record the team may see, once for each end), then the
    busiest places. A link counts only when the user may see both its ends, as the gate shows links."""
    ends = list(
        Link.objects.filter(link_own_scope(user), links_in_period(since=since, until=until))
        .filter(child_place=True, withdrawn_at__isnull=True)
        .values_list("a_id", "b_id")
        .distinct()
    )
    episodes_in_period = gate.visible_to(user, MissingEpisode.objects.all()).filter(_day_bounds(since, until))
    # Every record the period's episodes involved: `seen` below tells the places apart (a join to the records for
    # their kind would read them all).
    episodes_at = dict(
        episodes_in_period.values("linked")
        .annotate(episodes=Count("id", distinct=True))
        .values_list("linked", "episodes")
    )
    seen = visible_entity_labels(user, {end for pair in ends for end in pair} | set(episodes_at))
    children: dict[int, int] = {}
    for a, b in ends:
        if a in seen and b in seen:
            place = a if seen[a][0] == EntityKind.LOCATION else b
            children[place] = children.get(place, 0) + 1
    places = {pk for pk, (kind, _) in seen.items() if kind == EntityKind.LOCATION}
    episodes = {place: count for place, count in episodes_at.items() if place in places}
    busy = set(children) | set(episodes)
    busiest = sorted(busy, key=lambda pk: (-children.get(pk, 0) - episodes.get(pk, 0), seen[pk][1], pk))
    shown = busiest[:MAX_HOTSPOTS]
    locations = Location.objects.in_bulk(shown)
    return [Hotspot(location=locations[pk], children=children.get(pk, 0), episodes=episodes.get(pk, 0)) for pk in shown]


# Missing episodes ---------------------------------------------------------------------------------------------------


def missing_flag_rule() -> tuple[int, int]:
    """(episodes, days): this many episodes starting within this many days flags the child (settings)."""
    return settings.MISSING_FLAG_EPISODES, settings.MISSING_FLAG_DAYS


def _hide_unseen_places(user: User, episodes: list[MissingEpisode]) -> list[MissingEpisode]:
    """An episode is the team's work about a child, but the place the child was found may be police intelligence:
    a place the user may not see is left off (one query), as the gate leaves it off everywhere else."""
    places = {episode.found_at_id for episode in episodes if episode.found_at_id}
    if places:
        seen = set(gate.visible_to(user, Location.objects.filter(pk__in=places)).values_list("pk", flat=True))
        for episode in episodes:
            if episode.found_at_id and episode.found_at_id not in seen:
                episode.found_at = None
    return episodes


def missing_episodes_for_child(*, user: User, child_id: int) -> list[MissingEpisode]:
    """The child's episodes, newest first, each with the people and places involved that the user may see
    (`linked`, prefetched through the gate): three queries however many episodes."""
    visible = gate.visible_to(user, Entity.objects.select_related("child")).order_by("kind", "label", "id")
    return _hide_unseen_places(
        user,
        list(
            gate.visible_to(user, MissingEpisode.objects.filter(child_id=child_id))
            .select_related("found_at", "created_by")
            .prefetch_related(Prefetch("linked", queryset=visible))
            .order_by("-started_at", "-id")
        ),
    )


def missing_episode_get_for_user(*, user: User, public_id: uuid.UUID | str) -> MissingEpisode:
    """The episode (a found-at place the user may not see left off), or 404; `linked` holds the people and places
    involved that the user may see, as in `missing_episodes_for_child`."""
    visible = gate.visible_to(user, Entity.objects.select_related("child")).order_by("kind", "label", "id")
    episode = gate.get_visible_or_404(
        user,
        MissingEpisode.objects.select_related("child", "found_at", "created_by").prefetch_related(
            Prefetch("linked", queryset=visible)
        ),
        public_id=public_id,
    )
    record_access(user=user, children=[episode.child], action=AccessAction.VIEWED, what="missing episode")
    return _hide_unseen_places(user, [episode])[0]


def missing_episode_linked(*, user: User, episode: MissingEpisode) -> list[Entity]:
    """The people, places and vehicles involved in the episode that the user may see."""
    return list(gate.visible_to(user, episode.linked.all()).order_by("kind", "label", "id"))


def missing_episode_out_of_sight(*, user: User, episode: MissingEpisode) -> tuple[Location | None, list[Entity]]:
    """What the episode names that the user may not see: the place the child was found, if hidden, and the hidden
    people and places involved. A change by that user keeps them: they could not have meant to remove them."""
    hidden = list(episode.linked.exclude(pk__in=gate.visible_to(user, Entity.objects.all()).values("pk")))
    place = None
    if episode.found_at_id and not gate.visible_to(user, Location.objects.filter(pk=episode.found_at_id)).exists():
        place = Location.objects.get(pk=episode.found_at_id)
    return place, hidden


def missing_counts(*, child_ids: Iterable[int], on: date | None = None) -> dict[int, int]:
    """For each child, the episodes that started in the flag's window up to `on` (today): one grouped query."""
    _, days = missing_flag_rule()
    on = on or timezone.localdate()
    end = timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min))
    rows = (
        MissingEpisode.objects.filter(
            child_id__in=list(child_ids), started_at__gte=end - timedelta(days=days), started_at__lt=end
        )
        .values("child_id")
        .annotate(episodes=Count("id"))
    )
    return {row["child_id"]: row["episodes"] for row in rows}


def missing_flagged_child_ids(*, child_ids: Iterable[int], on: date | None = None) -> set[int]:
    """The children among `child_ids` who went missing often enough to be flagged (see `missing_flag_rule`)."""
    threshold, _ = missing_flag_rule()
    return {child_id for child_id, count in missing_counts(child_ids=child_ids, on=on).items() if count >= threshold}


def missing_flagged_child_ids_subquery(*, on: date | None = None) -> QuerySet[Any]:
    """The ids of every flagged child, as a subquery for another list's `child_id__in=` (the daily review's "children
    going missing often"): that list stays one query however many children. Ids only; the list does the gating."""
    threshold, days = missing_flag_rule()
    on = on or timezone.localdate()
    end = timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min))
    return (
        MissingEpisode.objects.filter(started_at__gte=end - timedelta(days=days), started_at__lt=end)
        .values("child_id")
        .annotate(episodes=Count("id"))
        .filter(episodes__gte=threshold)
        .values("child_id")
    )


def children_missing_often(*, team_id: int, since: date, until: date, threshold: int | None = None) -> int:
    """How many children had `threshold` (the flag's number) or more episodes starting between the two dates: seed
    003's measure for the monthly report. A count, never a list of children."""
    threshold = threshold or missing_flag_rule()[0]
    return (
        MissingEpisode.objects.filter(_day_bounds(since, until), team_id=team_id)
        .values("child_id")
        .annotate(episodes=Count("id"))
        .filter(episodes__gte=threshold)
        .count()
    )


# Pursuit ------------------------------------------------------------------------------------------------------------


def investigations_for_user(*, user: User, open_only: bool = False) -> QuerySet[Investigation]:
    queryset = gate.visible_to(user, Investigation.objects.select_related("lead_officer", "restricted_to_agency"))
    if open_only:
        queryset = queryset.filter(closed_on__isnull=True)
    return queryset.prefetch_related(_visible_perpetrators(user)).order_by("-opened_on", "-id")


def _visible_perpetrators(user: User) -> Prefetch[Any]:
    """An investigation's people of concern that the user may see: one restricted to another agency is left off."""
    return Prefetch("perpetrators", queryset=gate.visible_to(user, PersonOfConcern.objects.order_by("label", "id")))


def investigation_get_for_user(*, user: User, public_id: uuid.UUID | str) -> Investigation:
    return gate.get_visible_or_404(
        user,
        Investigation.objects.select_related("lead_officer", "restricted_to_agency", "created_by").prefetch_related(
            _visible_perpetrators(user)
        ),
        public_id=public_id,
    )


def investigation_children(*, user: User, investigation: Investigation) -> list[Child]:
    """The investigation's children the user may see (a child restricted to another agency is left out)."""
    children = list(gate.visible_to(user, investigation.children.all()).order_by("last_name", "first_name"))
    if children:
        record_access(user=user, children=children, action=AccessAction.LISTED, what="investigation")
    return children


def prosecutions_for_user(*, user: User) -> QuerySet[Prosecution]:
    return gate.visible_to(
        user, Prosecution.objects.select_related("perpetrator", "investigation", "restricted_to_agency")
    ).order_by("-charged_on", "-id")


def prosecution_get_for_user(*, user: User, public_id: uuid.UUID | str) -> Prosecution:
    return gate.get_visible_or_404(
        user, Prosecution.objects.select_related("perpetrator", "investigation", "created_by"), public_id=public_id
    )


def disruptions_for_user(*, user: User) -> QuerySet[Disruption]:
    return gate.visible_to(
        user, Disruption.objects.select_related("target", "child", "restricted_to_agency", "created_by")
    ).order_by("-taken_on", "-id")


def disruption_get_for_user(*, user: User, public_id: uuid.UUID | str) -> Disruption:
    return gate.get_visible_or_404(
        user, Disruption.objects.select_related("target", "child", "created_by"), public_id=public_id
    )


def pursuit_for_entity(
    *, user: User, entity: Entity
) -> tuple[list[Investigation], list[Prosecution], list[Disruption]]:
    """A person's investigations and prosecutions, and disruptions of any record: three queries."""
    investigations = list(investigations_for_user(user=user).filter(perpetrators__pk=entity.pk))
    prosecutions = list(prosecutions_for_user(user=user).filter(perpetrator_id=entity.pk))
    disruptions = list(disruptions_for_user(user=user).filter(target_id=entity.pk))
    return investigations, prosecutions, disruptions


# The Intelligence Sharing Meeting pack ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackEntry:
    entity: Entity
    links: list[Link]


def intelligence_pack(*, user: User) -> list[PackEntry]:
    """Groups and locations flagged for disruption, each with its links the user may see: two queries. Children
    appear in the pack only as "a child" (the pack goes to a wider meeting); the CSV and PDF do the same."""
    flagged = list(
        gate.visible_to(
            user,
            entities_with_details(
                Entity.objects.filter(flagged_for_disruption=True, kind__in=[EntityKind.GROUP, EntityKind.LOCATION])
            ).select_related("flagged_by__agency"),
        ).order_by("kind", "label", "id")
    )
    ids = [entity.pk for entity in flagged]
    links = list(
        gate.visible_to(user, _links(Link.objects.filter(Q(a_id__in=ids) | Q(b_id__in=ids), withdrawn_at=None)))
        .select_related(
            "a__restricted_to_agency",
            "b__restricted_to_agency",
            "a__child__restricted_to_agency",
            "b__child__restricted_to_agency",
        )
        .annotate(seen=Coalesce("last_seen_on", "first_seen_on", TruncDate("created_at")))
        .order_by("-seen", "-id")
    )
    by_entity: dict[int, list[Link]] = {pk: [] for pk in ids}
    for link in links:
        for end in (link.a_id, link.b_id):
            if end in by_entity:
                by_entity[end].append(link)
    return [PackEntry(entity=entity, links=by_entity[entity.pk]) for entity in flagged]


# For the meetings: what the weekly meeting passes to the Intelligence Sharing Meeting -------------------------------

DISRUPTION_KINDS = (EntityKind.GROUP, EntityKind.LOCATION)


def disruption_candidates_for_child(*, user: User, child_id: int) -> list[Entity]:
    """The groups and locations the user may see that are linked to the child by a current link the user may see,
    groups first, by label: what a meeting discussing the child may flag for disruption. One query. The caller has
    checked the child is visible; nothing about the child is shown."""
    links = gate.visible_to(user, Link.objects.filter(withdrawn_at__isnull=True)).filter(
        Q(a__child_id=child_id) | Q(b__child_id=child_id)
    )
    return list(
        gate.visible_to(user, Entity.objects.filter(kind__in=DISRUPTION_KINDS))
        .filter(Q(pk__in=links.values("a_id")) | Q(pk__in=links.values("b_id")))
        .order_by("kind", "label", "id")
    )


def disruption_targets_for_user(*, user: User, public_ids: Iterable[uuid.UUID]) -> list[Entity]:
    """The groups and locations among `public_ids` that the user may see (one query): an id missing from the answer
    is not one, or not one the user may see, and the two are not told apart."""
    return list(gate.visible_to(user, Entity.objects.filter(kind__in=DISRUPTION_KINDS, public_id__in=list(public_ids))))


def entities_named_to(*, user: User | None) -> QuerySet[Entity]:
    """The records whose label may be shown to `user`, for another app's prefetch (the groups and locations a
    meeting flagged for disruption): those the user may see; with no user (the minutes, which are for the whole
    team), those not restricted to one agency. Never a child's entity."""
    queryset = Entity.objects.exclude(kind=EntityKind.CHILD)
    if user is None:
        return queryset.filter(restricted_to_agency__isnull=True).order_by("kind", "label", "id")
    return gate.visible_to(user, queryset).order_by("kind", "label", "id")


# The monthly data set -----------------------------------------------------------------------------------------------
# Counts for `reporting.measures`, by team, over a period from `start` (inclusive) to `end` (exclusive): dates for
# the pursuit records (each is dated by the day it happened), moments for links. Numbers only, never a child's or a
# person's identity, so not read through a user's gate: a record restricted to police counts like any other. Each is
# one aggregate query however many records.


@dataclass(frozen=True)
class InvestigationCount:
    """Investigations opened in a period, counted against the children (or people of concern) they name: `named`
    counts each investigation once per child (or person) it names; `distinct` counts each child (or person) once;
    `investigations` counts the investigations that name at least one."""

    named: int
    distinct: int
    investigations: int


def _opened_in(team_id: int, start: date, end: date) -> QuerySet[Investigation]:
    return Investigation.objects.filter(team_id=team_id, opened_on__gte=start, opened_on__lt=end)


def _investigation_count(team_id: int, start: date, end: date, relation: str) -> InvestigationCount:
    counts = _opened_in(team_id, start, end).aggregate(
        named=Count(relation),
        distinct=Count(relation, distinct=True),
        investigations=Count("pk", distinct=True, filter=Q(**{f"{relation}__isnull": False})),
    )
    return InvestigationCount(
        named=counts["named"], distinct=counts["distinct"], investigations=counts["investigations"]
    )


def investigations_opened_per_child(*, team_id: int, start: date, end: date) -> InvestigationCount:
    return _investigation_count(team_id, start, end, "children")


def investigations_opened_per_perpetrator(*, team_id: int, start: date, end: date) -> InvestigationCount:
    return _investigation_count(team_id, start, end, "perpetrators")


def investigations_opened_unnamed(*, team_id: int, start: date, end: date) -> tuple[int, int]:
    """Investigations opened in the period that name no person of concern, and that name no child: (no person, no
    child). Measures 5 and 4 cannot count them."""
    perpetrators = Investigation.perpetrators.through.objects.filter(investigation_id=OuterRef("pk"))
    children = Investigation.children.through.objects.filter(investigation_id=OuterRef("pk"))
    counts = _opened_in(team_id, start, end).aggregate(
        no_perpetrator=Count("pk", filter=~Exists(perpetrators)), no_child=Count("pk", filter=~Exists(children))
    )
    return counts["no_perpetrator"], counts["no_child"]


def prosecutions_charged(*, team_id: int, start: date, end: date) -> tuple[int, int]:
    """Prosecutions begun (charged) in the period, and the distinct people of concern charged: (prosecutions,
    people)."""
    counts = Prosecution.objects.filter(team_id=team_id, charged_on__gte=start, charged_on__lt=end).aggregate(
        prosecutions=Count("pk"), people=Count("perpetrator_id", distinct=True)
    )
    return counts["prosecutions"], counts["people"]


def prosecutions_concluded_by_outcome(*, team_id: int, start: date, end: date) -> list[tuple[str, str, int]]:
    """Prosecutions concluded in the period, by outcome, as (outcome, label, prosecutions): every outcome but "not
    yet concluded", zero or not, in the model's order."""
    outcomes = [outcome for outcome in ProsecutionOutcome if outcome != ProsecutionOutcome.PENDING]
    counts = Prosecution.objects.filter(team_id=team_id, concluded_on__gte=start, concluded_on__lt=end).aggregate(
        **{f"outcome_{outcome.value}": Count("pk", filter=Q(outcome=outcome)) for outcome in outcomes}
    )
    return [(outcome.value, outcome.label, counts[f"outcome_{outcome.value}"]) for outcome in outcomes]


def disruptions_taken_by_kind(*, team_id: int, start: date, end: date) -> list[tuple[str, str, int]]:
    """Disruptions taken (served or granted) in the period, by kind, as (kind, label, disruptions): every kind, zero
    or not, in the model's order."""
    counts = Disruption.objects.filter(team_id=team_id, taken_on__gte=start, taken_on__lt=end).aggregate(
        **{f"kind_{kind.value}": Count("pk", filter=Q(kind=kind)) for kind in DisruptionKind}
    )
    return [(kind.value, kind.label, counts[f"kind_{kind.value}"]) for kind in DisruptionKind]


@dataclass(frozen=True)
class DisruptionOutcomeCount:
    kind: str
    kind_label: str
    outcome: str
    outcome_label: str
    disruptions: int


def disruption_outcomes_by_kind(*, team_id: int, start: date, end: date) -> list[DisruptionOutcomeCount]:
    """Disruptions whose outcome was recorded in the period, by kind and outcome: only the pairs that occurred, in
    the model's order of kinds and then of outcomes."""
    rows = (
        Disruption.objects.filter(team_id=team_id, outcome_on__gte=start, outcome_on__lt=end)
        .values("kind", "outcome")
        .annotate(disruptions=Count("pk"))
        .order_by()
    )
    kinds, outcomes = list(DisruptionKind), list(DisruptionOutcome)
    found = [
        DisruptionOutcomeCount(
            kind=row["kind"],
            kind_label=DisruptionKind(row["kind"]).label,
            outcome=row["outcome"],
            outcome_label=DisruptionOutcome(row["outcome"]).label,
            disruptions=row["disruptions"],
        )
        for row in rows
    ]
    return sorted(
        found, key=lambda c: (kinds.index(DisruptionKind(c.kind)), outcomes.index(DisruptionOutcome(c.outcome)))
    )


def links_recorded_by_source_agency(*, team_id: int, start: datetime, end: datetime) -> list[tuple[int, str, int]]:
    """Links recorded in the period and not withdrawn by its end, by the agency the intelligence came from, as
    (agency id, agency name, links), by name. A link withdrawn later still counts: the month's figure is what the
    team held at the month's end, and stays so when the report is rebuilt."""
    rows = (
        Link.objects.filter(team_id=team_id, created_at__gte=start, created_at__lt=end)
        .filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=end))
        .values("source_agency_id", "source_agency__name")
        .annotate(links=Count("pk"))
        .order_by("source_agency__name", "source_agency_id")
    )
    return [(row["source_agency_id"], row["source_agency__name"], row["links"]) for row in rows]


# Subject access and retention (dataprotection) ----------------------------------------------------------------------
# What the mapping holds about one child, as plain data, for the data protection officer's export: the links that
# touch the child (with each one's earlier states), the child's missing episodes, the investigations that name the
# child and the disruptions that protect them. The other end of a link, and every record in an episode or an
# investigation, is named when it is a person, place, vehicle, group or online identity; another child is only ever
# "Another child". Not read through a user's gate: the export is the data controller's, and `dataprotection` calls
# these only after checking the manager asking may see the child. Then, for the retention rules, when the police
# intelligence about each child was last recorded or changed.

from django.db.models import Max  # noqa: E402

from evolve.accounts.models import Agency  # noqa: E402

ANOTHER_CHILD = "Another child"


def _subject_access_who(user: User | None) -> str:
    if user is None:
        return ""
    agency = getattr(user, "agency", None)
    return f"{user.display_name} ({agency.short_name})" if agency else user.display_name


def _subject_access_named(entity: Entity | None, child_id: int) -> str:
    """A record as the export names it: its label and kind; the child themselves as "This child"; any other child
    as "Another child" (never their name, which is not in an entity's label anyway, nor their record's id)."""
    if entity is None:
        return ""
    if entity.kind == EntityKind.CHILD:
        return "This child" if entity.child_id == child_id else ANOTHER_CHILD
    return f"{entity.label} ({entity.get_kind_display().lower()})"


def _subject_access_restriction(agency: Agency | None) -> str:
    return agency.name if agency else ""


def subject_access_mapping(*, child_id: int) -> dict[str, list[dict[str, Any]]]:
    """Links, missing episodes, investigations and disruptions about the child. Ten queries at most."""
    revisions = LinkRevision.objects.select_related("source_agency", "restricted_to_agency", "recorded_by__agency")
    links = (
        Link.objects.filter(Q(a__child_id=child_id) | Q(b__child_id=child_id))
        .select_related(
            "a",
            "b",
            "team",
            "source_agency",
            "restricted_to_agency",
            "created_by__agency",
            "updated_by__agency",
            "withdrawn_by__agency",
        )
        .prefetch_related(Prefetch("revisions", queryset=revisions.order_by("version")))
        .order_by("created_at", "id")
    )
    episodes = (
        MissingEpisode.objects.filter(child_id=child_id)
        .select_related("team", "found_at", "created_by__agency")
        .prefetch_related("linked")
        .order_by("started_at", "id")
    )
    investigations = (
        Investigation.objects.filter(children__id=child_id)
        .select_related("team", "lead_officer__agency", "restricted_to_agency")
        .prefetch_related(
            "perpetrators", Prefetch("prosecutions", queryset=Prosecution.objects.order_by("charged_on", "id"))
        )
        .order_by("opened_on", "id")
    )
    disruptions = (
        Disruption.objects.filter(child_id=child_id)
        .select_related("team", "target", "restricted_to_agency", "created_by__agency")
        .order_by("taken_on", "id")
    )

    def link_state(state: Link | LinkRevision) -> dict[str, Any]:
        return {
            "kind": state.get_kind_display(),
            "first_seen_on": state.first_seen_on,
            "last_seen_on": state.last_seen_on,
            "source_agency": state.source_agency.name,
            "confidence": state.get_confidence_display(),
            "evidence": state.evidence,
            "restricted_to_agency": _subject_access_restriction(state.restricted_to_agency),
        }

    return {
        "links": [
            {
                "id": str(link.public_id),
                "team": link.team.name,
                "from": _subject_access_named(link.a, child_id),
                "to": _subject_access_named(link.b, child_id),
                **link_state(link),
                "recorded_at": link.created_at,
                "recorded_by": _subject_access_who(link.created_by),
                "last_changed_at": link.updated_at,
                "last_changed_by": _subject_access_who(link.updated_by),
                "withdrawn_at": link.withdrawn_at,
                "withdrawn_by": _subject_access_who(link.withdrawn_by),
                "withdrawn_reason": link.withdrawn_reason,
                "earlier_versions": [
                    {
                        "version": revision.version,
                        **link_state(revision),
                        "recorded_at": revision.recorded_at,
                        "recorded_by": _subject_access_who(revision.recorded_by),
                    }
                    for revision in link.revisions.all()
                ],
            }
            for link in links
        ],
        "missing_episodes": [
            {
                "id": str(episode.public_id),
                "team": episode.team.name,
                "started_at": episode.started_at,
                "ended_at": episode.ended_at,
                "where_found": episode.where_found,
                "found_at": _subject_access_named(episode.found_at, child_id),
                "return_interview_done": episode.return_interview_done,
                "return_interview_on": episode.return_interview_on,
                "return_interview_by": episode.return_interview_by,
                "notes": episode.notes,
                "people_and_places": [_subject_access_named(entity, child_id) for entity in episode.linked.all()],
                "recorded_at": episode.created_at,
                "recorded_by": _subject_access_who(episode.created_by),
            }
            for episode in episodes
        ],
        "investigations": [
            {
                "id": str(investigation.public_id),
                "team": investigation.team.name,
                "reference": investigation.reference,
                "summary": investigation.summary,
                "opened_on": investigation.opened_on,
                "closed_on": investigation.closed_on,
                "lead_officer": _subject_access_who(investigation.lead_officer),
                "restricted_to_agency": _subject_access_restriction(investigation.restricted_to_agency),
                "people_of_concern": [
                    _subject_access_named(person, child_id) for person in investigation.perpetrators.all()
                ],
                "prosecutions": [
                    {
                        "charges": prosecution.charges,
                        "charged_on": prosecution.charged_on,
                        "court": prosecution.court,
                        "outcome": prosecution.get_outcome_display(),
                        "concluded_on": prosecution.concluded_on,
                        "outcome_notes": prosecution.outcome_notes,
                    }
                    for prosecution in investigation.prosecutions.all()
                ],
            }
            for investigation in investigations
        ],
        "disruptions": [
            {
                "id": str(disruption.public_id),
                "team": disruption.team.name,
                "kind": disruption.get_kind_display(),
                "target": _subject_access_named(disruption.target, child_id),
                "taken_on": disruption.taken_on,
                "expires_on": disruption.expires_on,
                "details": disruption.details,
                "outcome": disruption.get_outcome_display(),
                "outcome_on": disruption.outcome_on,
                "outcome_notes": disruption.outcome_notes,
                "restricted_to_agency": _subject_access_restriction(disruption.restricted_to_agency),
                "recorded_by": _subject_access_who(disruption.created_by),
            }
            for disruption in disruptions
        ],
    }


def subject_access_intelligence_quiet_since(*, before: date) -> dict[int, date]:
    """Children whose police intelligence in the mapping (links to them recorded by police, or restricted to police)
    was last recorded or changed before `before`: child id -> the day of that change. Two grouped queries (the child
    may be either end of a link)."""
    police = Q(source_agency__kind=Agency.Kind.POLICE) | Q(restricted_to_agency__kind=Agency.Kind.POLICE)
    latest: dict[int, datetime] = {}
    for end in ("a", "b"):
        rows = (
            Link.objects.filter(police, **{f"{end}__kind": EntityKind.CHILD})
            .values(f"{end}__child_id")
            .annotate(last=Max("updated_at"))
            .values_list(f"{end}__child_id", "last")
        )
        for child_id, last in rows:
            if child_id is not None and (child_id not in latest or last > latest[child_id]):
                latest[child_id] = last
    quiet = {child_id: timezone.localdate(last) for child_id, last in latest.items()}
    return {child_id: last for child_id, last in quiet.items() if last < before}
