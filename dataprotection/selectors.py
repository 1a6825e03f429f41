"""Reading for the data protection officer: everything held about one child (gathered from each app's public
`subject_access_*` selectors and the kernel), the facts the retention rules need, and the exports, reviews, decisions
and holds themselves (through the gate: `dataprotection.permissions`).

The gathering reads are not scoped to a user: a subject access export is the data controller's, so it holds
everything the organisation holds, records restricted to one agency included. Only `dataprotection.services` calls
`subject_access_content`, and only after checking the manager asking may see the child.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from dataprotection.dates import add_years
from dataprotection.models import (
    LegalHold,
    RetentionDecision,
    RetentionReview,
    ReviewStatus,
    SubjectAccessExport,
)
from evolve.access import gate
from evolve.access.grants import child_grantees
from evolve.access.sharing import ledger_for_child
from evolve.accounts.models import User
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.audit.selectors import access_log_for_child
from evolve.cases.selectors import (
    subject_access_cases,
    subject_access_children_with_case,
    subject_access_decisions,
    subject_access_health_notes_quiet_since,
)
from evolve.chronology.models import ChronologyEntry
from evolve.people.models import Child, ChildAddress
from mapping.selectors import subject_access_intelligence_quiet_since, subject_access_mapping
from meetings.selectors import subject_access_meeting_extracts
from referrals.selectors import subject_access_referrals, subject_access_referrals_quiet_since
from risk.selectors import subject_access_risk_assessments

# The export's sections, in the order the PDF shows them; the JSON file has the same keys.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("child", "The child's record"),
    ("referrals", "Referrals"),
    ("decisions", "The daily review and its decisions"),
    ("cases", "The Evolve case"),
    ("risk_assessments", "Risk assessments"),
    ("meetings", "Meeting extracts"),
    ("mapping", "Mapping and pursuit"),
    ("chronology", "Chronology"),
    ("information_sharing", "Information-sharing ledger"),
    ("access_log", "Access log"),
    ("data_protection", "Legal holds, retention decisions and earlier exports"),
)


def _who(user: User | None) -> str:
    if user is None:
        return ""
    agency = getattr(user, "agency", None)
    return f"{user.display_name} ({agency.short_name})" if agency else user.display_name


# One child's records ------------------------------------------------------------------------------------------------


def _child_record(child_id: int) -> dict[str, Any]:
    child = (
        Child.objects.select_related("open_to_team", "restricted_to_agency", "created_by__agency")
        .prefetch_related("aliases", "identifiers__agency")
        .get(pk=child_id)
    )
    addresses = ChildAddress.objects.filter(child_id=child_id).order_by("lived_from", "id")
    return {
        "id": str(child.public_id),
        "first_name": child.first_name,
        "middle_names": child.middle_names,
        "last_name": child.last_name,
        "date_of_birth": child.date_of_birth,
        "estimated_age": child.estimated_age,
        "age_estimated_on": child.age_estimated_on,
        "gender": child.get_gender_display(),
        "ethnicity": child.get_ethnicity_display(),
        "school": child.school,
        "looked_after_status": child.get_looked_after_status_display(),
        "looked_after_by": child.looked_after_by,
        "open_to_team": child.open_to_team.name if child.open_to_team else "",
        "restricted_to_agency": child.restricted_to_agency.name if child.restricted_to_agency else "",
        "recorded_at": child.created_at,
        "recorded_by": _who(child.created_by),
        "last_changed_at": child.updated_at,
        "other_names": [{"name": alias.name, "kind": alias.get_kind_display()} for alias in child.aliases.all()],
        "addresses": [
            {"address": address.one_line(), "lived_from": address.lived_from, "lived_to": address.lived_to}
            for address in addresses
        ],
        "other_agencies_references": [
            {
                "system": identifier.get_system_display(),
                "reference": identifier.value,
                "agency": identifier.agency.name if identifier.agency else "",
            }
            for identifier in child.identifiers.all()
        ],
        "people_given_access": [_who(person) for person in child_grantees(child=child)],
    }


def _chronology(child_id: int) -> list[dict[str, Any]]:
    entries = (
        ChronologyEntry.objects.filter(child_id=child_id)
        .select_related("user__agency", "restricted_to_agency")
        .order_by("occurred_at", "id")
    )
    return [
        {
            "occurred_at": entry.occurred_at,
            "recorded_at": entry.recorded_at,
            "recorded_by": _who(entry.user),
            "what": entry.summary,
            "why": entry.rationale,
            "restricted_to_agency": entry.restricted_to_agency.name if entry.restricted_to_agency else "",
        }
        for entry in entries
    ]


def _information_sharing(child_id: int) -> list[dict[str, Any]]:
    return [
        {
            "decided_at": share.decided_at,
            "decided_by": _who(share.decided_by),
            "what": share.what,
            "shared_with": share.recipient,
            "lawful_basis": share.get_lawful_basis_display(),
            "consent": share.get_consent_display(),
            "reason_without_consent": share.reason_without_consent,
        }
        for share in ledger_for_child(child_id=child_id).order_by("decided_at", "id")
    ]


def _access_log(child_id: int) -> list[dict[str, Any]]:
    return [
        {
            "at": entry.at,
            "who": entry.user.display_name,
            "agency": entry.agency.name if entry.agency else "",
            "action": entry.get_action_display(),
            "what": entry.what,
            "where": entry.where,
        }
        for entry in access_log_for_child(child_id=child_id).order_by("at", "id")
    ]


def _data_protection(child_id: int, export_id: int | None) -> dict[str, list[dict[str, Any]]]:
    from dataprotection.retention import rule_title  # retention imports this module for its facts

    holds = LegalHold.objects.filter(child_id=child_id).select_related("placed_by__agency", "lifted_by__agency")
    reviews = RetentionReview.objects.filter(child_id=child_id).order_by("created_at", "id")
    decisions = {
        decision.review_id: decision
        for decision in RetentionDecision.objects.filter(child_id=child_id).select_related("decided_by__agency")
    }
    exports = SubjectAccessExport.objects.filter(child_id=child_id).select_related("made_by__agency")
    if export_id is not None:
        exports = exports.exclude(pk=export_id)
    return {
        "legal_holds": [
            {
                "inquiry": hold.inquiry,
                "reason": hold.reason,
                "placed_at": hold.placed_at,
                "placed_by": _who(hold.placed_by),
                "lifted_at": hold.lifted_at,
                "lifted_by": _who(hold.lifted_by),
                "lift_reason": hold.lift_reason,
            }
            for hold in holds.order_by("placed_at", "id")
        ],
        "retention_reviews": [
            {
                "rule": rule_title(review.rule),
                "due_on": review.due_on,
                "status": review.get_status_display(),
                "decision": _decision(decisions.get(review.pk)),
            }
            for review in reviews
        ],
        "earlier_exports": [
            {"made_at": export.made_at, "made_by": _who(export.made_by), "reference": export.reference}
            for export in exports.order_by("made_at", "id")
        ],
    }


def _decision(decision: RetentionDecision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "outcome": decision.get_outcome_display(),
        "retain_until": decision.retain_until,
        "reason": decision.reason,
        "decided_at": decision.decided_at,
        "decided_by": _who(decision.decided_by),
    }


def subject_access_content(*, child_id: int, export_id: int | None = None) -> dict[str, Any]:
    """Everything held about the child, by section (`SECTIONS`), as plain data: what the PDF and the JSON file of a
    subject access export are both made from. Another child is never named in it: each app's selector gives only
    this child's part of a shared record (a meeting's agenda, a link's other end). `export_id`: the export being
    made, left out of the list of earlier exports."""
    return {
        "child": _child_record(child_id),
        "referrals": subject_access_referrals(child_id=child_id),
        "decisions": subject_access_decisions(child_id=child_id),
        "cases": subject_access_cases(child_id=child_id),
        "risk_assessments": subject_access_risk_assessments(child_id=child_id),
        "meetings": subject_access_meeting_extracts(child_id=child_id),
        "mapping": subject_access_mapping(child_id=child_id),
        "chronology": _chronology(child_id),
        "information_sharing": _information_sharing(child_id),
        "access_log": _access_log(child_id),
        "data_protection": _data_protection(child_id, export_id),
    }


def content_counts(content: dict[str, Any]) -> dict[str, int]:
    """How many records of each type an export holds: a list counts its rows; a section of lists, each list."""
    counts: dict[str, int] = {}
    for key, value in content.items():
        if isinstance(value, list):
            counts[key] = len(value)
        elif isinstance(value, dict) and key != "child":
            for inner, rows in value.items():
                if isinstance(rows, list):
                    counts[inner] = len(rows)
    return counts


# Exports, reviews, decisions and holds, through the gate -------------------------------------------------------------


def export_get_for_user(*, user: User, public_id: uuid.UUID | str, audit: bool = True) -> SubjectAccessExport:
    """An export of a child the manager can see, or 404 (missing and not theirs alike). The page's read is logged;
    a download is logged as a download instead (`subject_access_export_downloaded`)."""
    export = gate.get_visible_or_404(
        user, SubjectAccessExport.objects.select_related("child", "made_by__agency"), public_id=public_id
    )
    if audit:
        record_access(
            user=user, children=[export.child], action=AccessAction.VIEWED, what=f"subject access export {export.pk}"
        )
    return export


def exports_for_child(*, user: User, child_id: int) -> list[SubjectAccessExport]:
    return list(
        gate.visible_to(user, SubjectAccessExport.objects.filter(child_id=child_id))
        .select_related("made_by__agency")
        .order_by("-made_at", "-id")
    )


# An export not built this long after it was asked for is offered again ("try again"), and swept up.
EXPORT_WAIT = timedelta(minutes=10)


def export_overdue(export: SubjectAccessExport) -> bool:
    """Failed, or still not built well after it was asked for (the broker may have been down)."""
    return export.built_at is None and (export.failed_at is not None or export.made_at < timezone.now() - EXPORT_WAIT)


def exports_waiting() -> list[int]:
    """Exports asked for a while ago and never built, oldest first: what the sweep asks for again."""
    return list(
        SubjectAccessExport.objects.filter(built_at__isnull=True, made_at__lt=timezone.now() - EXPORT_WAIT)
        .order_by("made_at", "id")
        .values_list("pk", flat=True)[:50]
    )


def _active_holds() -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(lifted_at__isnull=True)


def active_hold_for_child(*, child_id: int) -> LegalHold | None:
    """The child's oldest hold still in force, if any: one is enough to stop every retention action."""
    return _active_holds().filter(child_id=child_id).order_by("placed_at", "id").first()


def held_child_ids() -> set[int]:
    return set(_active_holds().values_list("child_id", flat=True))


def retention_reviews_for_user(*, user: User) -> QuerySet[RetentionReview]:
    """The open reviews of children the manager can see and no legal hold covers, longest overdue first. The
    caller logs the children of the page it shows (`retention_reviews_shown`)."""
    held = _active_holds().filter(child_id=OuterRef("child_id"))
    return (
        gate.visible_to(user, RetentionReview.objects.filter(status=ReviewStatus.OPEN))
        .filter(~Exists(held))
        .select_related("child")
        .order_by("due_on", "id")
    )


def retention_reviews_shown(*, user: User, reviews: Iterable[RetentionReview]) -> None:
    children = list({review.child_id: review.child for review in reviews}.values())
    if children:
        record_access(user=user, children=children, action=AccessAction.LISTED, what="retention review list")


def retention_review_get_for_user(*, user: User, public_id: uuid.UUID | str) -> RetentionReview:
    """A review of a child the manager can see, or 404; the read is logged against the child."""
    review = gate.get_visible_or_404(
        user, RetentionReview.objects.select_related("child", "decision__decided_by__agency"), public_id=public_id
    )
    record_access(user=user, children=[review.child], action=AccessAction.VIEWED, what=f"retention review {review.pk}")
    return review


def retention_decisions_for_child(*, user: User, child_id: int, rule: str | None = None) -> list[RetentionDecision]:
    """The decisions on the child's records, newest first (under one rule if given): the history a new decision is
    made against."""
    decisions = gate.visible_to(user, RetentionDecision.objects.filter(child_id=child_id))
    if rule is not None:
        decisions = decisions.filter(rule=rule)
    return list(decisions.select_related("decided_by__agency").order_by("-decided_at", "-id"))


def legal_holds_for_child(*, user: User, child_id: int) -> list[LegalHold]:
    """The child's holds: those in force first, then the lifted ones, the latest lifted first."""
    return list(
        gate.visible_to(user, LegalHold.objects.filter(child_id=child_id))
        .select_related("placed_by__agency", "lifted_by__agency")
        .order_by(F("lifted_at").desc(nulls_first=True), "-placed_at", "-id")
    )


def legal_hold_get_for_user(*, user: User, public_id: uuid.UUID | str) -> LegalHold:
    return gate.get_visible_or_404(
        user, LegalHold.objects.select_related("child", "placed_by__agency", "lifted_by__agency"), public_id=public_id
    )


def legal_holds_in_force_for_user(*, user: User) -> QuerySet[LegalHold]:
    """Holds in force on children the manager can see, newest first."""
    return (
        gate.visible_to(user, _active_holds())
        .select_related("child", "placed_by__agency")
        .order_by("-placed_at", "-id")
    )


def legal_holds_shown(*, user: User, holds: Iterable[LegalHold]) -> None:
    children = list({hold.child_id: hold.child for hold in holds}.values())
    if children:
        record_access(user=user, children=children, action=AccessAction.LISTED, what="legal holds in force")


# The facts the retention rules need (not for a page: the nightly task, with no user) ---------------------------------


def _birth_date(child: dict[str, Any]) -> date:
    """The child's date of birth; failing it, the one their estimated age gives; failing that, the day their record
    was made (the latest their birth can be, so a rule counted from it falls due late rather than early)."""
    if child["date_of_birth"] is not None:
        born: date = child["date_of_birth"]
        return born
    if child["estimated_age"] is not None and child["age_estimated_on"] is not None:
        return add_years(child["age_estimated_on"], -child["estimated_age"])
    return timezone.localdate(child["created_at"])


_BIRTH_FIELDS = ("pk", "date_of_birth", "estimated_age", "age_estimated_on", "created_at")


def children_born_before(*, day: date, child_ids: Iterable[int] | None = None) -> dict[int, date]:
    """Children (of `child_ids`, or all) born on or before `day`: child id -> their (estimated) date of birth. Those
    with a known date of birth are filtered by the database; the few without are worked out here."""
    children = Child.objects.all() if child_ids is None else Child.objects.filter(pk__in=list(child_ids))
    known = children.filter(date_of_birth__lte=day).values_list("pk", "date_of_birth")
    unknown = children.filter(date_of_birth__isnull=True).values(*_BIRTH_FIELDS)
    found: dict[int, date] = {pk: born for pk, born in known if born is not None}
    for child in unknown:
        born = _birth_date(child)
        if born <= day:
            found[child["pk"]] = born
    return found


def birth_dates_for_children(*, child_ids: Iterable[int]) -> dict[int, date]:
    return {
        child["pk"]: _birth_date(child) for child in Child.objects.filter(pk__in=list(child_ids)).values(*_BIRTH_FIELDS)
    }


def children_with_case(*, child_ids: Iterable[int]) -> set[int]:
    return subject_access_children_with_case(child_ids=child_ids)


def referrals_quiet_since(*, before: date) -> dict[int, date]:
    return subject_access_referrals_quiet_since(before=before)


def intelligence_quiet_since(*, before: date) -> dict[int, date]:
    return subject_access_intelligence_quiet_since(before=before)


def health_notes_quiet_since(*, before: date) -> dict[int, date]:
    return subject_access_health_notes_quiet_since(before=before)


def open_reviews() -> dict[tuple[int, str], RetentionReview]:
    return {
        (review.child_id, review.rule): review for review in RetentionReview.objects.filter(status=ReviewStatus.OPEN)
    }


def latest_decisions() -> dict[tuple[int, str], RetentionDecision]:
    """The latest decision on each child's records under each rule. One query (DISTINCT ON)."""
    decisions = RetentionDecision.objects.order_by("child_id", "rule", "-decided_at", "-id").distinct(
        "child_id", "rule"
    )
    return {(decision.child_id, decision.rule): decision for decision in decisions}
