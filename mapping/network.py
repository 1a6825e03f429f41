"""The network around one record: every record within N links of it, worked out in the database.

The walk goes hop by hop from the records reached so far (the frontier): one query for the links touching it, through
the indexes on a link's two ends, and one for which of the records at their other ends the user may see, so the walk
never passes through a hidden record (a health worker is not shown a child who is linked to theirs only through a
police-restricted person) and reads only the links around the records it reaches, never the team's whole map. Then
one query fetches the records found, one the links between them, and one insert logs the children shown: at most
`2 * hops + 3` statements whatever the network's size (tests/mapping/test_network.py counts them); the cap on nodes
keeps a page drawable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q

from evolve.accounts.models import User
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from mapping.models import Entity, EntityKind, Link
from mapping.permissions import entity_among, link_own_scope, visible_entity_ids
from mapping.selectors import links_in_period

DEFAULT_HOPS = 2
MAX_HOPS = 4
MAX_NODES = 300


@dataclass(frozen=True)
class NetworkNode:
    entity: Entity
    hops: int

    @property
    def label(self) -> str:
        if self.entity.child is not None:
            return self.entity.child.full_name
        return self.entity.label or self.entity.get_kind_display()


@dataclass(frozen=True)
class Network:
    start: Entity
    nodes: list[NetworkNode]
    links: list[Link]
    hops: int
    truncated: bool  # more records lay within reach than MAX_NODES

    def children(self) -> list[NetworkNode]:
        return [node for node in self.nodes if node.entity.kind == EntityKind.CHILD and node.hops > 0]


def _links(user: User, *, kinds: Sequence[str] = (), since: date | None = None, until: date | None = None) -> Any:
    """Links the walk may follow, by the link's own restriction, kind and period; each end is checked as it is reached
    (`visible_entity_ids`), so between ends the user may see these are exactly the links the gate shows."""
    queryset = Link.objects.filter(link_own_scope(user), withdrawn_at__isnull=True)
    if kinds:
        queryset = queryset.filter(kind__in=list(kinds))
    if since is not None or until is not None:
        queryset = queryset.filter(links_in_period(since=since, until=until))
    return queryset


def _walk(user: User, links: Any, *, start: int, hops: int) -> dict[int, int]:
    """Each record reached within `hops` of `start`, with its distance: breadth first, two queries a hop (the links
    touching the frontier, then which of the records at their other ends the user may see), stopping once more than
    MAX_NODES are reached (the nearest first, then the lowest ids, so the cut is the same each time). A record the
    user may not see is never reached, so the walk never passes through it."""
    reached = {start: 0}
    frontier = [start]
    for hop in range(1, hops + 1):
        touching = links.filter(Q(a_id__in=frontier) | Q(b_id__in=frontier)).values_list("a_id", "b_id")
        found = {end for pair in touching for end in pair if end not in reached}
        frontier = sorted(visible_entity_ids(user, found))[: MAX_NODES + 1 - len(reached)]
        reached.update((node, hop) for node in frontier)
        if not frontier or len(reached) > MAX_NODES:
            break
    return reached


def network_for_user(
    *,
    user: User,
    start: Entity,
    hops: int = DEFAULT_HOPS,
    kinds: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
) -> Network:
    """The records within `hops` links of `start` (which the caller fetched through the gate), following only links
    of `kinds` (all when empty) seen between `since` and `until`."""
    hops = max(1, min(hops, MAX_HOPS))
    links = _links(user, kinds=kinds, since=since, until=until)
    reached = _walk(user, links, start=start.pk, hops=hops)
    truncated = len(reached) > MAX_NODES
    if truncated:
        farthest = max(reached, key=lambda node: (reached[node], node))
        reached.pop(farthest)
    ids = list(reached)
    # The name and the restriction are all a node shows: not the kind's own details (`entities_with_details`).
    entities = {
        entity.pk: entity
        for entity in Entity.objects.filter(entity_among(ids)).select_related("child", "restricted_to_agency")
    }
    found_links = list(links.filter(a_id__in=ids, b_id__in=ids).select_related("source_agency").order_by("id"))
    nodes = sorted(
        (NetworkNode(entity=entities[pk], hops=reached[pk]) for pk in ids if pk in entities),
        key=lambda node: (node.hops, node.entity.kind, node.label, node.entity.pk),
    )
    children = [node.entity.child for node in nodes if node.entity.child is not None]
    if children:
        record_access(user=user, children=children, action=AccessAction.LISTED, what="mapping network")
    return Network(start=start, nodes=nodes, links=found_links, hops=hops, truncated=truncated)


def network_as_json(network: Network) -> dict[str, Any]:
    """The network as the page's script (cytoscape.js) and the API take it: ids are public ids."""
    by_pk = {node.entity.pk: node for node in network.nodes}
    return {
        "start": str(network.start.public_id),
        "hops": network.hops,
        "truncated": network.truncated,
        "nodes": [
            {
                "id": str(node.entity.public_id),
                "kind": node.entity.kind,
                "label": node.label,
                "hops": node.hops,
                "restricted": node.entity.restricted_to_agency_id is not None,
            }
            for node in network.nodes
        ],
        "links": [
            {
                "id": str(link.public_id),
                "source": str(by_pk[link.a_id].entity.public_id),
                "target": str(by_pk[link.b_id].entity.public_id),
                "kind": link.kind,
                "label": link.get_kind_display(),
                "first_seen_on": link.first_seen_on.isoformat() if link.first_seen_on else None,
                "last_seen_on": link.last_seen_on.isoformat() if link.last_seen_on else None,
                "confidence": link.confidence,
                "restricted": link.restricted_to_agency_id is not None,
            }
            for link in network.links
            if link.a_id in by_pk and link.b_id in by_pk
        ],
    }
