"""The information-sharing ledger: recording a share and asking what has been shared with someone.

Services in other apps decide whether a share is allowed (who owns the record); this module only writes the ledger
entry, checks it is complete, and answers "which restricted records may this person see"."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from evolve.access.models import InformationShare, LawfulBasis, ShareConsent
from evolve.accounts.models import Agency, User


def information_share_record(
    *,
    child_id: int,
    what: str,
    by: User,
    lawful_basis: str,
    consent: str,
    reason_without_consent: str = "",
    to_user: User | None = None,
    to_agency: Agency | None = None,
    source_type: str = "",
    source_id: int | None = None,
) -> InformationShare:
    errors: dict[str, str] = {}
    if to_user is None and to_agency is None:
        errors["to"] = "Choose who the information is shared with"
    if lawful_basis not in LawfulBasis.values:
        errors["lawful_basis"] = "Select the lawful basis for sharing"
    if consent not in ShareConsent.values:
        errors["consent"] = "Say whether consent was given"
    elif consent != ShareConsent.GIVEN and not reason_without_consent.strip():
        errors["reason_without_consent"] = "Give the reason for sharing without consent"
    if errors:
        raise ValidationError(errors)
    return InformationShare.objects.create(
        child_id=child_id,
        what=what[:300],
        source_type=source_type,
        source_id=source_id,
        to_user=to_user,
        to_agency=to_agency,
        lawful_basis=lawful_basis,
        consent=consent,
        reason_without_consent=reason_without_consent.strip(),
        decided_by=by,
        decided_by_agency_id=by.agency_id,
    )


def shared_with(*, user: User, source_type: str) -> models.QuerySet[InformationShare]:
    """Shares of records of `source_type` made to `user` or to their agency; `.values("source_id")` for a filter."""
    recipient = models.Q(to_user_id=user.pk)
    if user.agency_id is not None:
        recipient |= models.Q(to_agency_id=user.agency_id)
    return InformationShare.objects.filter(recipient, source_type=source_type)


def ledger_for_child(*, child_id: int) -> models.QuerySet[InformationShare]:
    return InformationShare.objects.filter(child_id=child_id).select_related(
        "to_user__agency", "to_agency", "decided_by", "decided_by_agency"
    )
