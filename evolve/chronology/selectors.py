"""Reading a child's chronology. Callers have already brought the child through the gate."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from evolve.access.models import InformationShare
from evolve.accounts.models import User
from evolve.chronology.models import ChronologyEntry


def chronology_for_child(*, child_id: int, viewer: User) -> QuerySet[ChronologyEntry]:
    """The child's chronology as `viewer` may see it: entries about a record restricted to another agency are left
    out unless that record was shared with the viewer or their agency (the information-sharing ledger)."""
    recipient = Q(to_user_id=viewer.pk)
    if viewer.agency_id is not None:
        recipient |= Q(to_agency_id=viewer.agency_id)
    shared = InformationShare.objects.filter(
        recipient, source_type=OuterRef("source_type"), source_id=OuterRef("source_id")
    )
    visible: Q = Q(restricted_to_agency__isnull=True) | Q(Exists(shared))
    if viewer.agency_id is not None:
        visible |= Q(restricted_to_agency_id=viewer.agency_id)
    return ChronologyEntry.objects.filter(visible, child_id=child_id).select_related("user", "agency")
