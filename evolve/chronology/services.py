"""Writing the chronology. Callers own the transaction; this only adds rows."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from evolve.chronology.models import ChronologyEntry

if TYPE_CHECKING:
    from evolve.accounts.models import User


def chronology_record(
    *,
    child_id: int,
    by: User,
    kind: str,
    summary: str,
    source_type: str,
    source_id: int,
    rationale: str = "",
    occurred_at: datetime | None = None,
    restricted_to_agency_id: int | None = None,
) -> ChronologyEntry:
    return ChronologyEntry.objects.create(
        child_id=child_id,
        occurred_at=occurred_at or timezone.now(),
        user=by,
        agency_id=by.agency_id,
        kind=kind,
        summary=summary[:300],
        rationale=rationale,
        source_type=source_type,
        source_id=source_id,
        restricted_to_agency_id=restricted_to_agency_id,
    )
