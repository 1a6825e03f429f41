"""The auditor: called explicitly by the services and selectors that show or change a child's data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from evolve.audit.context import current_where
from evolve.audit.models import AccessAction, AccessLogEntry

if TYPE_CHECKING:
    from evolve.accounts.models import User
    from evolve.people.models import Child


def record_access(*, user: User, children: Iterable[Child], action: AccessAction, what: str) -> None:
    """One row per child, in one INSERT however many children a page shows."""
    where = current_where()[:200]
    AccessLogEntry.objects.bulk_create(
        AccessLogEntry(
            user_id=user.pk, agency_id=user.agency_id, child_id=child.pk, action=action, what=what[:500], where=where
        )
        for child in children
    )
