"""Reading the access log: the access report for one child."""

from __future__ import annotations

from django.db.models import QuerySet

from evolve.audit.models import AccessLogEntry


def access_log_for_child(*, child_id: int) -> QuerySet[AccessLogEntry]:
    """Newest first, with who and which agency in the same query. Callers check the reader may see the report."""
    return AccessLogEntry.objects.filter(child_id=child_id).select_related("user", "agency")
