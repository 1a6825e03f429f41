"""Reading a child's chronology. Callers have already brought the child through the gate."""

from __future__ import annotations

from django.db.models import QuerySet

from evolve.chronology.models import ChronologyEntry


def chronology_for_child(*, child_id: int) -> QuerySet[ChronologyEntry]:
    return ChronologyEntry.objects.filter(child_id=child_id).select_related("user", "agency")
