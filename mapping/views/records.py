"""Mapping pages for records, links and missing episodes: the team's people of concern, locations, vehicles, groups and
online identities (list, search, record with the duplicate check, change, flag for the Intelligence Sharing Meeting),
links between them and children (record by searching for the other end, change with history, withdraw), and a
child's mapping (links, missing episodes and the flag, children linked through a common person or place).

Only the team's members open these pages (`may_map`); everyone else is refused before anything is read. Reads go
through `mapping.selectors` (the gate hides what is restricted to another agency) and writes through
`mapping.services`, whose refusals are shown on the form with everything the user typed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from evolve.accounts.models import User
from evolve.accounts.selectors import source_agencies
from evolve.people.models import Child
from evolve.people.selectors import child_get_for_user, child_list_for_user, children_shown
from evolve.ui.forms import form_show_service_errors, posted_version
from mapping.forms import (
    EntityForm,
    FlagForm,
    LinkFieldsForm,
    LinkNewForm,
    MissingEpisodeForm,
    WithdrawForm,
)
from mapping.models import Entity, EntityKind, Link, LinkRevision, MissingEpisode
from mapping.permissions import may_flag_for_disruption, may_map
from mapping.selectors import (
    child_entity_for,
    entities_for_user,
    entity_details,
    entity_get_for_user,
    link_get_for_user,
    link_revisions,
    links_for_entity,
    locations_for_user,
    missing_counts,
    missing_episode_get_for_user,
    missing_episode_linked,
    missing_episodes_for_child,
    missing_flag_rule,
    missing_flagged_child_ids,
    pursuit_for_entity,
)
from mapping.selectors import (
    linked_children as linked_children_for,
)
from mapping.services import (
    DETAIL_FIELDS,
    MappingConflict,
    MappingRefused,
    PossibleDuplicate,
    child_entity,
    entity_flag_for_disruption,
    entity_record,
    entity_update,
    link_record,
    link_update,
    missing_episode_record,
    missing_episode_update,
)
from mapping.services import (
    link_withdraw as link_withdraw_record,
)

PAGE_SIZE = 25
SEARCH_RESULTS = 15
RECORD_KINDS = [(kind, EntityKind(kind).label) for kind in DETAIL_FIELDS]
# "Record a person of concern", "Record a location"...
RECORD_NEW_LABELS = {
    EntityKind.PERSON: "Record a person of concern",
    EntityKind.LOCATION: "Record a location",
    EntityKind.VEHICLE: "Record a vehicle",
    EntityKind.GROUP: "Record a group",
    EntityKind.ONLINE_IDENTITY: "Record an online identity",
}
CONFLICT = "Someone else changed this since you opened it. What it says now is shown below; what you typed is kept."
# What each kind's summary shows: (label, attribute of the kind's record).
DETAIL_ROWS: dict[str, list[tuple[str, str]]] = {
    EntityKind.PERSON: [
        ("First name", "first_name"),
        ("Last name", "last_name"),
        ("Other names", "aliases"),
        ("Date of birth", "date_of_birth"),
        ("Description", "description"),
        ("Identifiers", "identifiers"),
    ],
    EntityKind.LOCATION: [
        ("Type of place", "get_location_type_display"),
        ("Name", "name"),
        ("Address", "address"),
        ("Postcode", "postcode"),
        ("Coordinates", "coordinates"),
    ],
    EntityKind.VEHICLE: [("Registration", "registration"), ("Make", "make"), ("Model", "model"), ("Colour", "colour")],
    EntityKind.GROUP: [("Name", "name"), ("Description", "description")],
    EntityKind.ONLINE_IDENTITY: [("Platform or app", "platform"), ("Username or handle", "handle")],
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _mapper(request: HttpRequest) -> User:
    """The signed-in user, if they may open the team's mapping: refused before anything is read."""
    user = _user(request)
    if not may_map(user):
        raise PermissionDenied("Mapping is the Evolve team's: only its members see people of concern and links.")
    return user


def _search_words(given: str) -> str:
    """What was typed in a search box, as the search takes it: a NUL character (which no name holds, and PostgreSQL
    refuses in a query) is dropped rather than failing the page."""
    return given.replace("\x00", "").strip()[:200]


def _status(form: forms.Form, refusal: str = "") -> int:
    if refusal:
        return 409
    return 400 if form.is_bound and form.errors else 200


def _current(conflict: MappingConflict) -> Any:
    """The record as it is now, saved by someone else while the user was typing."""
    return conflict.current


def _version(conflict: MappingConflict) -> int:
    version: int = _current(conflict).version
    return version


def _hidden_from(user: User, record: Any) -> bool:
    """Changed meanwhile into a record restricted to another agency: its new content is not the user's to see."""
    restricted: int | None = record.restricted_to_agency_id
    return restricted is not None and restricted != user.agency_id


def _entity_name(entity: Entity) -> str:
    if entity.child is not None:
        return entity.child.full_name
    return entity.label or entity.get_kind_display()


def _entity_url(entity: Entity) -> str:
    if entity.child is not None:
        return reverse("mapping:child-mapping", args=[entity.child.public_id])
    return reverse("mapping:record-detail", args=[entity.public_id])


def _summary_rows(entity: Entity, details: Any) -> list[tuple[str, str]]:
    rows = []
    for label, attribute in DETAIL_ROWS[entity.kind]:
        if attribute == "coordinates":
            value: Any = f"{details.latitude}, {details.longitude}" if details.latitude is not None else ""
        else:
            value = getattr(details, attribute)
            value = value() if callable(value) else value
        if isinstance(value, list):
            value = "\n".join(value)
        elif hasattr(value, "strftime"):
            value = value.strftime("%-d %B %Y")
        rows.append((label, str(value or "")))
    rows.append(("Notes", entity.notes))
    return rows


# The team's records -------------------------------------------------------------------------------------------------


@require_GET
def record_list(request: HttpRequest) -> HttpResponse:
    user = _mapper(request)
    search = _search_words(request.GET.get("q", ""))
    kind = request.GET.get("kind", "")
    kind = kind if kind in DETAIL_FIELDS else ""
    records = entities_for_user(user=user, kind=kind, search=search)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(entity, entity_details(entity)) for entity in page.object_list]
    context = {
        "page": page,
        "rows": rows,
        "search": search,
        "kind": kind,
        "kind_label": EntityKind(kind).label if kind else "",
        "kinds": RECORD_KINDS,
        "record_new": list(RECORD_NEW_LABELS.items()),
        "query": urlencode({key: value for key, value in (("q", search), ("kind", kind)) if value}),
    }
    return render(request, "mapping/records/record_list.html", context)


def _kind_or_404(kind: str) -> str:
    if kind not in DETAIL_FIELDS:
        raise Http404("No such kind of record")
    return kind


@require_http_methods(["GET", "POST"])
def record_new(request: HttpRequest, kind: str) -> HttpResponse:
    user = _mapper(request)
    kind = _kind_or_404(kind)
    form = EntityForm(request.POST or None, kind=kind, agency=user.agency)
    candidates: list[Entity] = []
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            entity = entity_record(
                by=user,
                kind=kind,
                details=form.details(),
                notes=form.cleaned_data["notes"],
                restricted_to_agency_id=user.agency_id if form.restricted() else None,
                not_a_duplicate=form.cleaned_data["not_a_duplicate"],
            )
        except ValidationError as error:
            form_show_service_errors(form, error)
        except MappingRefused as error:
            refusal = str(error)
        except PossibleDuplicate as duplicate:
            candidates = list(duplicate.check.candidates)
            if form.cleaned_data["duplicates_shown"]:
                form.add_error(
                    "not_a_duplicate", "Open the record it is, or tick the box to say it is not one of these"
                )
        else:
            messages.success(request, f"{EntityKind(kind).label} recorded")
            return redirect("mapping:record-detail", public_id=entity.public_id)
    context = {
        "form": form,
        "kind": kind,
        "title": RECORD_NEW_LABELS[EntityKind(kind)],
        "candidates": candidates,
        "refusal": refusal,
        "has_errors": bool(refusal),
    }
    return render(request, "mapping/records/record_new.html", context, status=_status(form, refusal))


@dataclass(frozen=True)
class LinkRow:
    """A link as one record's page shows it: the record at the other end, named and linked."""

    link: Link
    other: Entity
    other_name: str
    other_url: str
    this_is_first: bool  # the record whose page this is, is the link's first end ("<this> uses <other>")


def _link_rows(user: User, entity: Entity, include_withdrawn: bool = False) -> list[LinkRow]:
    rows = []
    for link in links_for_entity(user=user, entity=entity, include_withdrawn=include_withdrawn):
        other = link.b if link.a_id == entity.pk else link.a
        rows.append(
            LinkRow(
                link=link,
                other=other,
                other_name=_entity_name(other),
                other_url=_entity_url(other),
                this_is_first=link.a_id == entity.pk,
            )
        )
    return rows


@require_GET
def record_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = _mapper(request)
    entity = entity_get_for_user(user=user, public_id=public_id)
    if entity.child is not None:
        return redirect("mapping:child-mapping", child_id=entity.child.public_id)
    details = entity_details(entity)
    rows = _link_rows(user, entity, include_withdrawn=True)
    investigations, prosecutions, disruptions = pursuit_for_entity(user=user, entity=entity)
    context = {
        "entity": entity,
        "name": _entity_name(entity),
        "summary": _summary_rows(entity, details),
        "links": [row for row in rows if row.link.withdrawn_at is None],
        "withdrawn": [row for row in rows if row.link.withdrawn_at is not None],
        "investigations": investigations,
        "prosecutions": prosecutions,
        "disruptions": disruptions,
        "may_flag": may_flag_for_disruption(user) and entity.kind in (EntityKind.GROUP, EntityKind.LOCATION),
    }
    return render(request, "mapping/records/record_detail.html", context)


def _record_for_change(user: User, public_id: uuid.UUID) -> Entity:
    entity = entity_get_for_user(user=user, public_id=public_id)
    if entity.kind == EntityKind.CHILD:
        raise Http404("A child's record is changed on the child's own pages")
    return entity


@require_http_methods(["GET", "POST"])
def record_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = _mapper(request)
    entity = _record_for_change(user, public_id)
    details = entity_details(entity)
    posted = request.method == "POST"
    form = EntityForm(
        request.POST if posted else None,
        kind=entity.kind,
        agency=user.agency,
        initial=EntityForm.initial_for(entity, details),
    )
    version = entity.version
    refusal, current_rows = "", None
    if posted:
        version = posted_version(request)
        if form.is_valid():
            try:
                entity = entity_update(
                    entity=entity,
                    by=user,
                    details=form.details(),
                    notes=form.cleaned_data["notes"],
                    restricted_to_agency_id=user.agency_id if form.restricted() else None,
                    based_on_version=version,
                )
            except ValidationError as error:
                form_show_service_errors(form, error)
            except MappingConflict as conflict:
                refusal = CONFLICT
                if not _hidden_from(user, conflict.current):
                    current_rows = _summary_rows(_current(conflict), _current(conflict))
                # Saving again, having seen the other change, applies what the user typed over it.
                version = _version(conflict)
            except MappingRefused as error:
                refusal = str(error)
            else:
                messages.success(request, "Changes saved")
                return redirect("mapping:record-detail", public_id=entity.public_id)
    context = {
        "form": form,
        "entity": entity,
        "name": _entity_name(entity),
        "version": version,
        "refusal": refusal,
        "current_rows": current_rows,
        "has_errors": bool(refusal),
    }
    return render(request, "mapping/records/record_edit.html", context, status=_status(form, refusal))


@require_http_methods(["GET", "POST"])
def record_flag(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = _mapper(request)
    entity = _record_for_change(user, public_id)
    if entity.kind not in (EntityKind.GROUP, EntityKind.LOCATION):
        raise Http404("Only groups and locations go to the Intelligence Sharing Meeting")
    if not may_flag_for_disruption(user):
        raise PermissionDenied("Only members of the Evolve team pass records to the Intelligence Sharing Meeting.")
    posted = request.method == "POST"
    form = FlagForm(request.POST if posted else None, initial={"reason": entity.flag_reason})
    version, refusal = entity.version, ""
    if posted:
        version = posted_version(request)
        if form.is_valid():
            try:
                entity_flag_for_disruption(
                    entity=entity,
                    by=user,
                    flagged=form.is_flagged(),
                    reason=form.cleaned_data["reason"],
                    based_on_version=version,
                )
            except ValidationError as error:
                form_show_service_errors(form, error)
            except MappingConflict as conflict:
                refusal = CONFLICT
                entity = _record_for_change(user, public_id)
                version = _version(conflict)
            except MappingRefused as error:
                refusal = str(error)
            else:
                if form.is_flagged():
                    messages.success(request, "Flagged for the Intelligence Sharing Meeting")
                else:
                    messages.success(request, "Taken off the Intelligence Sharing Meeting's list")
                return redirect("mapping:record-detail", public_id=entity.public_id)
    context = {
        "form": form,
        "entity": entity,
        "name": _entity_name(entity),
        "version": version,
        "refusal": refusal,
        "has_errors": bool(refusal),
    }
    return render(request, "mapping/records/record_flag.html", context, status=_status(form, refusal))


# Links --------------------------------------------------------------------------------------------------------------


def _link_options(
    user: User, search: str, exclude_entity: Entity | None, exclude_child: Child | None
) -> dict[str, tuple[str, Entity | Child]]:
    """The records and children matching `search`, as the radios of the new link's "Link to": the children shown are
    logged as a search result."""
    options: dict[str, tuple[str, Entity | Child]] = {}
    if not search:
        return options
    records = entities_for_user(user=user, search=search)
    if exclude_entity is not None:
        records = records.exclude(pk=exclude_entity.pk)
    for entity in records[:SEARCH_RESULTS]:
        tag = f", {entity.restricted_to_agency.name} only" if entity.restricted_to_agency else ""
        label = f"{entity.label} ({entity.get_kind_display().lower()}{tag})"
        options[f"record:{entity.public_id}"] = (label, entity)
    children_found = child_list_for_user(user=user, search=search)
    if exclude_child is not None:
        children_found = children_found.exclude(pk=exclude_child.pk)
    children = list(children_found[:SEARCH_RESULTS])
    if children:
        children_shown(user=user, children=children, what="search results, to link in mapping")
    for child in children:
        born = f", born {child.date_of_birth:%-d %B %Y}" if child.date_of_birth else ""
        options[f"child:{child.public_id}"] = (f"{child.full_name} (child{born})", child)
    return options


def _renamed(error: ValidationError, names: dict[str, str]) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({names.get(field, field): messages for field, messages in error.message_dict.items()})


def _link_new_page(request: HttpRequest, user: User, start: Entity | Child) -> HttpResponse:
    """Link `start` (a record or a child) to another record or child: search, then pick one of the results and
    describe the link, on one page that needs no script. A child is always the link's first end ("child exploited
    by person")."""
    posted = request.method == "POST"
    search = _search_words((request.POST if posted else request.GET).get("q", ""))
    start_child = start if isinstance(start, Child) else None
    start_entity = start if isinstance(start, Entity) else None
    options = _link_options(user, search, start_entity, start_child)
    form = LinkNewForm(
        request.POST if posted else None,
        options=options,
        agencies=source_agencies(team_id=user.team_id),
        agency=user.agency,
        initial={"q": search, "source_agency": str(user.agency_id or "")},
    )
    refusal = ""
    if posted and form.is_valid():
        other = form.other_chosen()
        try:
            this = child_entity(child=start, by=user) if isinstance(start, Child) else start
            that = child_entity(child=other, by=user) if isinstance(other, Child) else other
            a, b = (that, this) if isinstance(other, Child) and not isinstance(start, Child) else (this, that)
            link_record(by=user, a=a, b=b, given=form.link_input())
        except ValidationError as error:
            form_show_service_errors(form, _renamed(error, {"a": "other", "b": "other"}))
        except MappingRefused as error:
            refusal = str(error)
        else:
            messages.success(request, "Link recorded")
            if start_child is not None:
                return redirect("mapping:child-mapping", child_id=start_child.public_id)
            assert start_entity is not None
            return redirect("mapping:record-detail", public_id=start_entity.public_id)
    if start_child is not None:
        name = start_child.full_name
        back = reverse("mapping:child-mapping", args=[start_child.public_id])
        action = reverse("mapping:child-link-new", args=[start_child.public_id])
    else:
        assert start_entity is not None
        name = _entity_name(start_entity)
        back = reverse("mapping:record-detail", args=[start_entity.public_id])
        action = reverse("mapping:link-new", args=[start_entity.public_id])
    context = {
        "form": form,
        "search": search,
        "name": name,
        "back": back,
        "action": action,
        "start_child": start_child,
        "start_entity": start_entity,
        "refusal": refusal,
        "has_errors": bool(refusal),
    }
    return render(request, "mapping/records/link_new.html", context, status=_status(form, refusal))


@require_http_methods(["GET", "POST"])
def link_new(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = _mapper(request)
    entity = entity_get_for_user(user=user, public_id=public_id)
    if entity.child is not None:
        return redirect("mapping:child-link-new", child_id=entity.child.public_id)
    return _link_new_page(request, user, entity)


@require_http_methods(["GET", "POST"])
def child_link_new(request: HttpRequest, child_id: uuid.UUID) -> HttpResponse:
    user = _mapper(request)
    posted = request.method == "POST"
    child = child_get_for_user(user=user, public_id=child_id, audit_what=None if posted else "mapping, to link")
    return _link_new_page(request, user, child)


@dataclass(frozen=True)
class RevisionRow:
    """An earlier state of a link; what was restricted to another agency is not shown."""

    revision: LinkRevision
    hidden: bool


def _link_context(user: User, link: Link) -> dict[str, Any]:
    return {
        "link": link,
        "a_name": _entity_name(link.a),
        "a_url": _entity_url(link.a),
        "b_name": _entity_name(link.b),
        "b_url": _entity_url(link.b),
    }


@require_GET
def link_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = _mapper(request)
    link = link_get_for_user(user=user, public_id=public_id)
    revisions = [
        RevisionRow(
            revision=revision,
            hidden=revision.restricted_to_agency_id is not None and revision.restricted_to_agency_id != user.agency_id,
        )
        for revision in link_revisions(link=link)
    ]
    context = {**_link_context(user, link), "revisions": revisions}
    return render(request, "mapping/records/link_detail.html", context)


def _withdrawn_refusal(link: Link) -> str:
    by = link.withdrawn_by.display_name if link.withdrawn_by else "Someone"
    return (
        f"{by} withdrew this link while you were changing it ({link.withdrawn_reason}). A withdrawn link is not"
        " changed: if it still stands, record it again as a new link. Nothing was saved; your changes are below."
    )


@require_http_methods(["GET", "POST"])
def link_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = _mapper(request)
    link = link_get_for_user(user=user, public_id=public_id)
    posted = request.method == "POST"
    if link.withdrawn_at is not None and not posted:
        raise Http404("A withdrawn link is not changed: record a new one")
    form = LinkFieldsForm(
        request.POST if posted else None,
        agencies=source_agencies(team_id=user.team_id),
        agency=user.agency,
        initial=LinkFieldsForm.initial_for(link),
    )
    version, refusal, current = link.version, "", None
    if link.withdrawn_at is not None:
        # Withdrawn while this person was changing it: say so and give their changes back, to record as a new link.
        form.is_valid()
        refusal = _withdrawn_refusal(link)
    elif posted:
        version = posted_version(request)
        if form.is_valid():
            try:
                link_update(link=link, by=user, given=form.link_input(), based_on_version=version)
            except ValidationError as error:
                form_show_service_errors(form, error)
            except MappingConflict as conflict:
                refusal = CONFLICT
                current = None if _hidden_from(user, conflict.current) else conflict.current
                version = _version(conflict)
                now = conflict.current
                if isinstance(now, Link) and now.withdrawn_at is not None:  # withdrawn while this post was on its way
                    refusal, current = _withdrawn_refusal(now), None
                    link = link_get_for_user(user=user, public_id=public_id)
            except MappingRefused as error:
                refusal = str(error)
            else:
                messages.success(request, "Link changed: what it said before is kept in its history")
                return redirect("mapping:link-detail", public_id=link.public_id)
    context = {
        **_link_context(user, link),
        "form": form,
        "version": version,
        "current": current,
        "refusal": refusal,
        "has_errors": bool(refusal),
        "withdrawn": link.withdrawn_at is not None,
    }
    return render(request, "mapping/records/link_edit.html", context, status=_status(form, refusal))


@require_http_methods(["GET", "POST"])
def link_withdraw(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = _mapper(request)
    link = link_get_for_user(user=user, public_id=public_id)
    posted = request.method == "POST"
    form = WithdrawForm(request.POST if posted else None)
    version, refusal = link.version, ""
    if posted:
        version = posted_version(request)
        if form.is_valid():
            try:
                link_withdraw_record(link=link, by=user, reason=form.cleaned_data["reason"], based_on_version=version)
            except ValidationError as error:
                form_show_service_errors(form, error)
            except MappingConflict as conflict:
                refusal = "Someone else changed this link since you opened it. Check it, then withdraw it again."
                version = _version(conflict)
            except MappingRefused as error:
                refusal = str(error)
            else:
                messages.success(request, "Link withdrawn: it no longer shows in the network")
                return redirect("mapping:link-detail", public_id=link.public_id)
    context = {
        **_link_context(user, link),
        "form": form,
        "version": version,
        "refusal": refusal,
        "has_errors": bool(refusal),
    }
    return render(request, "mapping/records/link_withdraw.html", context, status=_status(form, refusal))


# A child's mapping --------------------------------------------------------------------------------------------------


def _flag_text(count: int) -> str:
    _, days = missing_flag_rule()
    return f"Missing {count} time{'s' if count != 1 else ''} in the last {days} days"


@require_GET
def child_mapping(request: HttpRequest, child_id: uuid.UUID) -> HttpResponse:
    user = _mapper(request)
    child = child_get_for_user(user=user, public_id=child_id, audit_what="mapping")
    entity = child_entity_for(child_id=child.pk)
    episodes = missing_episodes_for_child(user=user, child_id=child.pk)
    flagged = child.pk in missing_flagged_child_ids(child_ids=[child.pk])
    count = missing_counts(child_ids=[child.pk]).get(child.pk, 0)
    threshold, days = missing_flag_rule()
    context = {
        "child": child,
        "links": _link_rows(user, entity) if entity is not None else [],
        "episodes": episodes,
        "flagged": flagged,
        "flag_text": _flag_text(count),
        "rule_text": f"{threshold} or more missing episodes in {days} days flag the child",
    }
    return render(request, "mapping/records/child_mapping.html", context)


@require_GET
def linked_children(request: HttpRequest, child_id: uuid.UUID) -> HttpResponse:
    user = _mapper(request)
    child = child_get_for_user(user=user, public_id=child_id, audit_what="children linked through mapping")
    found = linked_children_for(user=user, child=child)
    return render(request, "mapping/records/linked_children.html", {"child": child, "found": found})


def _involved(user: User, child: Child, episode: MissingEpisode | None) -> list[Entity]:
    """The people, places and vehicles a missing episode may name: those linked to the child, and those it names."""
    found: dict[int, Entity] = {}
    entity = child_entity_for(child_id=child.pk)
    if entity is not None:
        for row in _link_rows(user, entity):
            if row.other.kind in (EntityKind.PERSON, EntityKind.LOCATION, EntityKind.VEHICLE):
                found.setdefault(row.other.pk, row.other)
    if episode is not None:
        for linked in missing_episode_linked(user=user, episode=episode):
            if linked.kind != EntityKind.CHILD:
                found.setdefault(linked.pk, linked)
    return sorted(found.values(), key=lambda item: (item.kind, item.label, item.pk))


def _episode_page(
    request: HttpRequest,
    user: User,
    child: Child,
    episode: MissingEpisode | None,
    save: Callable[[MissingEpisodeForm, int], MissingEpisode],
) -> HttpResponse:
    posted = request.method == "POST"
    initial = (
        MissingEpisodeForm.initial_for(episode, missing_episode_linked(user=user, episode=episode))
        if episode is not None
        else {}
    )
    form = MissingEpisodeForm(
        request.POST if posted else None,
        locations=locations_for_user(user=user),
        involved=_involved(user, child, episode),
        initial=initial,
    )
    version = episode.version if episode is not None else 0
    refusal, current = "", None
    if posted:
        version = posted_version(request)
        if form.is_valid():
            try:
                save(form, version)
            except ValidationError as error:
                form_show_service_errors(form, error)
            except MappingConflict as conflict:
                refusal = CONFLICT
                current = conflict.current
                version = _version(conflict)
            except MappingRefused as error:
                refusal = str(error)
            else:
                messages.success(request, "Missing episode changed" if episode else "Missing episode recorded")
                return redirect("mapping:child-mapping", child_id=child.public_id)
    context = {
        "form": form,
        "child": child,
        "episode": episode,
        "version": version,
        "current": current,
        "refusal": refusal,
        "has_errors": bool(refusal),
    }
    return render(request, "mapping/records/missing_form.html", context, status=_status(form, refusal))


@require_http_methods(["GET", "POST"])
def missing_new(request: HttpRequest, child_id: uuid.UUID) -> HttpResponse:
    user = _mapper(request)
    posted = request.method == "POST"
    child = child_get_for_user(user=user, public_id=child_id, audit_what=None if posted else "missing episode form")

    def save(form: MissingEpisodeForm, version: int) -> MissingEpisode:
        return missing_episode_record(child=child, by=user, given=form.episode_input())

    return _episode_page(request, user, child, None, save)


@require_http_methods(["GET", "POST"])
def missing_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = _mapper(request)
    episode = missing_episode_get_for_user(user=user, public_id=public_id)
    # The team's work about a child is seen only with the child: a child restricted to another agency is not found.
    child = child_get_for_user(user=user, public_id=episode.child.public_id, audit_what=None)

    # Another child missing with this one (recorded through the API) is not offered on this form: it is kept.
    children_with = [entity for entity in episode.linked.all() if entity.kind == EntityKind.CHILD]

    def save(form: MissingEpisodeForm, version: int) -> MissingEpisode:
        given = form.episode_input()
        given = replace(given, linked=[*given.linked, *children_with])
        return missing_episode_update(episode=episode, by=user, given=given, based_on_version=version)

    return _episode_page(request, user, child, episode, save)
