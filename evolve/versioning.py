"""Optimistic locking, one way for every record that carries a `version`: a change names the version it was based
on; a stale one is refused with the record as it is now (so the page can show the other change and keep the user's
text), and a save moves the version on in the database, never from a value read earlier."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def locked_at_version(
    queryset: models.QuerySet[M], *, pk: int, based_on_version: int | None, conflict: Callable[[M], Exception]
) -> M:
    """The row, locked until the transaction ends; `conflict(current)` is raised if it has moved past
    `based_on_version` (None: the caller did not say, so any version will do)."""
    current = queryset.select_for_update().get(pk=pk)
    if based_on_version is not None and getattr(current, "version") != based_on_version:  # noqa: B009
        raise conflict(current)
    return current


def saved_with_new_version(record: M, *fields: str) -> M:
    """Save `fields` and the next version in one UPDATE, then read back the version the database gave."""
    setattr(record, "version", models.F("version") + 1)  # noqa: B010
    record.save(update_fields=[*fields, "version"])
    record.refresh_from_db(fields=["version"])
    return record
