"""Reading children: always through the gate, always audited."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Prefetch, Q, QuerySet, Value
from django.db.models.functions import Replace, Upper

from evolve.access import gate
from evolve.accounts.models import User
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.people.models import Child, ChildAddress, ChildIdentifier

# word_similarity() thresholds. Search takes the connection's pg_trgm.word_similarity_threshold (0.3, set in
# settings); the duplicate check offers only closer matches.
DUPLICATE_SIMILARITY = 0.35
DUPLICATE_SIMILARITY_WITHOUT_MATCHING_BIRTH_DATE = 0.8
MAX_CANDIDATES = 20


def normalise_names(*names: str) -> str:
    # A NUL cannot go to PostgreSQL in a string: a pasted one is dropped, not a failed search.
    return " | ".join(" ".join(name.replace("\x00", "").lower().split()) for name in names if name and name.strip())


def _with_detail(queryset: QuerySet[Child]) -> QuerySet[Child]:
    return queryset.select_related("open_to_team", "restricted_to_agency", "created_by").prefetch_related(
        "aliases",
        Prefetch("addresses", queryset=ChildAddress.objects.order_by("-lived_from", "-id")),
        # The agency joined, not prefetched after: a second-level prefetch runs only when the first found rows, so
        # a child with no identifiers cost one statement fewer than one with some.
        Prefetch("identifiers", queryset=ChildIdentifier.objects.select_related("agency")),
    )


def child_get_for_user(*, user: User, public_id: uuid.UUID | str, audit_what: str | None = "record") -> Child:
    """The child, or 404 whether it is missing or not one the user may see. Logs the read unless told not to
    (a form re-displaying after a refused save has already logged it)."""
    child = gate.get_visible_or_404(user, _with_detail(Child.objects.all()), public_id=public_id)
    if audit_what:
        record_access(user=user, children=[child], action=AccessAction.VIEWED, what=audit_what)
    return child


def child_list_for_user(*, user: User, search: str = "") -> QuerySet[Child]:
    """Visible children; with `search`, fuzzy-matched on every name and alias, best match first.

    The queryset is not audited here: callers audit the page of rows they actually show (`children_shown`)."""
    queryset = gate.visible_to(user, Child.objects.select_related("open_to_team", "restricted_to_agency"))
    search = normalise_names(search)
    if search:
        queryset = (
            queryset.annotate(similarity=TrigramWordSimilarity(search, "search_names"))
            .filter(search_names__trigram_word_similar=search)  # the indexed operator, at SEARCH_SIMILARITY
            .order_by("-similarity", "last_name", "first_name", "id")
        )
    else:
        queryset = queryset.order_by("last_name", "first_name", "id")
    return queryset


def children_shown(*, user: User, children: list[Child], what: str) -> None:
    """Log that these children's names and details were shown in a list or search result."""
    record_access(user=user, children=children, action=AccessAction.LISTED, what=what)


@dataclass(frozen=True)
class DuplicateCheck:
    candidates: Sequence[Child]
    hidden_count: int  # similar records the user may not see (told only to team members, never shown)


def child_duplicate_candidates(
    *, user: User, first_name: str, last_name: str, date_of_birth: date | None, exclude_id: int | None = None
) -> DuplicateCheck:
    """Existing children who may be this one: a similar name (pg_trgm) with the same or an unknown date of birth,
    or a very similar name whatever the date of birth. Same spelling variations that lose a child between
    agencies ("Jayden Smith" / "Jaden Smyth") are what this catches."""
    name = normalise_names(f"{first_name} {last_name}")
    if not name:
        return DuplicateCheck(candidates=[], hidden_count=0)
    similar = Child.objects.annotate(similarity=TrigramWordSimilarity(name, "search_names")).filter(
        search_names__trigram_word_similar=name
    )
    strong = Q(similarity__gte=DUPLICATE_SIMILARITY_WITHOUT_MATCHING_BIRTH_DATE)
    if date_of_birth:
        same_birth = Q(date_of_birth=date_of_birth) | Q(date_of_birth__isnull=True)
        similar = similar.filter(strong | (Q(similarity__gte=DUPLICATE_SIMILARITY) & same_birth))
    else:
        similar = similar.filter(similarity__gte=DUPLICATE_SIMILARITY)
    if exclude_id is not None:
        similar = similar.exclude(pk=exclude_id)
    similar_ids = list(similar.order_by("-similarity", "id").values_list("pk", flat=True)[:MAX_CANDIDATES])
    visible = list(
        gate.visible_to(user, Child.objects.filter(pk__in=similar_ids))
        .annotate(similarity=TrigramWordSimilarity(name, "search_names"))
        .prefetch_related("aliases")
        .order_by("-similarity", "id")
    )
    hidden = len(similar_ids) - len(visible) if user.is_team_member else 0
    if visible:
        record_access(user=user, children=visible, action=AccessAction.LISTED, what="offered as a possible duplicate")
    return DuplicateCheck(candidates=visible, hidden_count=hidden)


def _address_key(line_1: str, postcode: str) -> tuple[str, str]:
    return (" ".join(line_1.lower().split()), postcode.replace(" ", "").upper())


def children_at_same_address(*, child_ids: list[int], team_id: int | None) -> dict[int, int]:
    """For each child, how many other children open to the team live (now) at the same address: siblings, a shared
    placement or a house of concern, for the daily review. Two queries whatever the number of children."""
    found = dict.fromkeys(child_ids, 0)
    if not child_ids or team_id is None:
        return found
    keys: dict[tuple[str, str], set[int]] = {}
    for address in ChildAddress.objects.filter(child_id__in=child_ids, lived_to__isnull=True).exclude(postcode=""):
        keys.setdefault(_address_key(address.line_1, address.postcode), set()).add(address.child_id)
    if not keys:
        return found
    postcodes = {postcode for _, postcode in keys}
    others = (
        ChildAddress.objects.annotate(normalised=Upper(Replace("postcode", Value(" "), Value(""))))
        .filter(lived_to__isnull=True, child__open_to_team_id=team_id, normalised__in=postcodes)
        .values_list("child_id", "line_1", "postcode")
    )
    living: dict[tuple[str, str], set[int]] = {}
    for child_id, line_1, postcode in others:
        living.setdefault(_address_key(line_1, postcode), set()).add(child_id)
    for key, children in keys.items():
        for child_id in children:
            found[child_id] = len(living.get(key, set()) - {child_id})
    return found
