"""Who does the data protection officer's work (issue 8, "Subject access and retention").

A subject access export holds everything the organisation holds about a child, records restricted to one agency
included: it is made for the data controller, by a manager (the team manager, the detective sergeant, the head of
service, a service manager) who can see the child through the usual gate. The same managers keep the retention review
list and place and lift legal holds, each only for children they can see. An administrator has no sight of case
content, so none of this is theirs; nor is it the governance group's, a practitioner's, the front door's or a
referrer's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dataprotection.models import LegalHold, RetentionDecision, RetentionReview, SubjectAccessExport
from evolve.access import gate
from evolve.accounts.models import User
from evolve.people.models import Child


def may_do_data_protection(user: User) -> bool:
    """Export, review retention and place holds: managers (each for the children they can see)."""
    return bool(user.is_authenticated and user.is_active and user.is_manager)


class ManagedChildRecordPolicy:
    """A data protection record about a child is seen by the managers who can see the child."""

    def scope(self, *, user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not may_do_data_protection(user):
            return queryset.none()
        return queryset.filter(child_id__in=gate.visible_to(user, Child.objects.all()).values("pk"))


for _model in (SubjectAccessExport, RetentionReview, RetentionDecision, LegalHold):
    gate.register(_model, ManagedChildRecordPolicy())
