"""The network around a record or a child, and the hotspot map (docs/adr/0010-mapping-network.md).

Both pages draw in the browser (cytoscape.js, Leaflet) from a JSON data block, and both always render the same
data as tables: the view without JavaScript, for a screen reader, and what the tests read. The filters are GET forms
(`mapping.pursuit_forms`): ?hops=2&kind=seen_at&since=2025-01-01&until=2025-12-31 on the network,
?since=...&until=... on the map.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from evolve.accounts.models import User
from evolve.people.selectors import child_get_for_user
from mapping.models import Confidence, Entity, EntityKind, LinkKind, Location, LocationType
from mapping.network import DEFAULT_HOPS, MAX_NODES, Network, NetworkNode, network_as_json, network_for_user
from mapping.permissions import may_map
from mapping.pursuit_forms import HotspotFilterForm, NetworkFilterForm
from mapping.selectors import Hotspot, child_entity_for, entity_get_for_user, hotspots


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _team_only(user: User) -> None:
    if not may_map(user):
        raise PermissionDenied("The team's mapping is for the members of the Evolve team.")


def url_for_public_id(name: str) -> Callable[[uuid.UUID], str]:
    """The URL named `name` for any record's public id, reversed once: a network or a map lists hundreds of records,
    and `reverse` costs tens of microseconds a call."""
    placeholder = uuid.UUID(int=0)
    head, tail = reverse(name, args=[placeholder]).split(str(placeholder))
    return lambda public_id: f"{head}{public_id}{tail}"


@dataclass(frozen=True)
class NodeRow:
    """A record in the network's table, its text worked out once (the page lists up to MAX_NODES of them)."""

    label: str
    url: str
    kind: str
    kind_label: str
    hops: int
    restricted_to: str  # the agency's short name, or ""


@dataclass(frozen=True)
class LinkRow:
    """A link in the network's table, between two records shown, its text worked out once."""

    a: str
    b: str
    url: str
    kind: str
    kind_label: str
    restricted: bool
    seen: str
    confidence: str
    source: str


def _day(day: date | None, missing: str) -> str:
    return f"{day.day} {day:%b %Y}" if day else missing


def _node_rows(nodes: list[NetworkNode]) -> list[NodeRow]:
    child_url = url_for_public_id("people:child-detail")
    record_url = url_for_public_id("mapping:record-detail")
    kinds = dict(EntityKind.choices)
    return [
        NodeRow(
            label=node.label,
            url=child_url(node.entity.child.public_id)
            if node.entity.child is not None
            else record_url(node.entity.public_id),
            kind=node.entity.kind,
            kind_label=kinds.get(node.entity.kind, node.entity.kind),
            hops=node.hops,
            restricted_to=node.entity.restricted_to_agency.short_name if node.entity.restricted_to_agency else "",
        )
        for node in nodes
    ]


def _link_rows(network: Network, labels: dict[int, str]) -> list[LinkRow]:
    link_url = url_for_public_id("mapping:link-detail")
    kinds, confidences = dict(LinkKind.choices), dict(Confidence.choices)
    return [
        LinkRow(
            a=labels[link.a_id],
            b=labels[link.b_id],
            url=link_url(link.public_id),
            kind=link.kind,
            kind_label=kinds.get(link.kind, link.kind),
            restricted=link.restricted_to_agency_id is not None,
            seen=f"{_day(link.first_seen_on, '?')} to {_day(link.last_seen_on, 'now')}"
            if link.first_seen_on or link.last_seen_on
            else "Not recorded",
            confidence=confidences.get(link.confidence, link.confidence),
            source=link.source_agency.short_name,
        )
        for link in network.links
        if link.a_id in labels and link.b_id in labels
    ]


def _filters(request: HttpRequest) -> QueryDict | None:
    """The GET filters, None when none were given; a hand-made URL without `hops` keeps the default distance."""
    if not request.GET:
        return None
    data = request.GET.copy()
    data.setdefault("hops", str(DEFAULT_HOPS))
    return data


def _network_page(request: HttpRequest, user: User, start: Entity, *, child_page: bool) -> HttpResponse:
    form = NetworkFilterForm(_filters(request))
    if form.is_bound and not form.is_valid():
        # The drawing waits for filters that make sense; the start record is still named.
        context = {"form": form, "start": start, "start_label": _start_label(start), "child_page": child_page}
        return render(request, "mapping/network/network.html", context, status=400)
    network = network_for_user(user=user, start=start, **form.filters())
    return render(request, "mapping/network/network.html", _network_context(form, network, child_page=child_page))


def _start_label(start: Entity) -> str:
    if start.child is not None:
        return start.child.full_name
    return start.label or start.get_kind_display()


def _network_context(form: NetworkFilterForm, network: Network, *, child_page: bool) -> dict[str, Any]:
    data = network_as_json(network)
    nodes = _node_rows(network.nodes)
    for node, row in zip(data["nodes"], nodes, strict=True):
        node["url"] = row.url
    rows = _link_rows(network, {node.entity.pk: row.label for node, row in zip(network.nodes, nodes, strict=True)})
    kinds = {node.entity.kind for node in network.nodes}
    children = sum(1 for node in network.nodes if node.entity.kind == EntityKind.CHILD)
    return {
        "form": form,
        "network": network,
        "start": network.start,
        "start_label": _start_label(network.start),
        "child_page": child_page,
        "nodes": nodes,
        "link_rows": rows,
        "data": data,
        "children_count": children,
        "kinds_shown": [(value, label) for value, label in EntityKind.choices if value in kinds],
        "filters_text": _filters_text(form),
        "link_kinds": LinkKind.choices,
        "max_nodes": MAX_NODES,
    }


def _filters_text(form: NetworkFilterForm) -> str:
    if not form.is_bound:
        return ""
    data = form.cleaned_data
    text = ", of the kinds chosen" if data.get("kind") else ""
    since, until = data.get("since"), data.get("until")
    if since or until:
        text += ", seen"
        text += f" from {since:%-d %B %Y}" if since else ""
        text += f" until {until:%-d %B %Y}" if until else ""
    return text


@require_GET
def network_page(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    _team_only(user)
    start = entity_get_for_user(user=user, public_id=public_id)
    return _network_page(request, user, start, child_page=start.child is not None)


@require_GET
def child_network(request: HttpRequest, child_id: str) -> HttpResponse:
    """The network from a child's page: the child's own place in it, or a page saying nothing is linked yet."""
    user = _user(request)
    _team_only(user)
    child = child_get_for_user(user=user, public_id=child_id, audit_what="mapping network")
    entity = child_entity_for(child_id=child.pk)
    if entity is None:
        return render(request, "mapping/network/no_links.html", {"child": child})
    entity.child = child  # already fetched through the gate, with its name
    return _network_page(request, user, entity, child_page=True)


# The hotspot map ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HotspotRow:
    """A place on the map and in its table, its text worked out once (up to MAX_HOTSPOTS of them)."""

    location: Location
    label: str
    type: str
    url: str
    children: int
    episodes: int


def _hotspot_rows(spots: list[Hotspot]) -> list[HotspotRow]:
    record_url = url_for_public_id("mapping:record-detail")
    types = dict(LocationType.choices)
    rows = []
    for spot in spots:
        kind = types.get(spot.location.location_type, spot.location.location_type)
        rows.append(
            HotspotRow(
                location=spot.location,
                label=spot.location.label or kind,
                type=kind,
                url=record_url(spot.location.public_id),
                children=spot.children,
                episodes=spot.episodes,
            )
        )
    return rows


@require_GET
def hotspot_map(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _team_only(user)
    today = timezone.localdate()
    # Shown with the period it covers: the last twelve months until the user chooses another.
    default = HotspotFilterForm().period(today=today)
    form = HotspotFilterForm(
        request.GET or None, initial={"since": default[0].isoformat(), "until": default[1].isoformat()}
    )
    if form.is_bound and not form.is_valid():
        return render(request, "mapping/network/hotspots.html", {"form": form}, status=400)
    since, until = form.period(today=today)
    spots = hotspots(user=user, since=since, until=until)
    rows = _hotspot_rows(spots)
    points = [
        {
            "id": str(row.location.public_id),
            "label": row.label,
            "type": row.type,
            "latitude": float(row.location.latitude),
            "longitude": float(row.location.longitude),
            "children": row.children,
            "episodes": row.episodes,
            "url": row.url,
        }
        for row in rows
        if row.location.latitude is not None and row.location.longitude is not None
    ]
    data = {
        "points": points,
        "tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}
        if settings.MAP_TILE_URL
        else None,
    }
    context = {
        "form": form,
        "shown": True,
        "since": since,
        "until": until,
        "rows": rows,
        "data": data,
        "mapped": len(points),
        "unmapped": len(rows) - len(points),
        "tiles": bool(settings.MAP_TILE_URL),
    }
    return render(request, "mapping/network/hotspots.html", context)
