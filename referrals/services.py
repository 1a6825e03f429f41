"""Every change to a referral. Each state change happens here and only here, through `_transition`, which checks
the state machine, the role, and the version the user's page was based on, then records the step in the
referral's timeline and, once the child is known, in the child's chronology."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from evolve.accounts.models import Team, User
from evolve.accounts.roles import FRONT_DOOR_ROLES, Role
from evolve.accounts.selectors import users_with_role
from evolve.chronology.services import chronology_record
from evolve.clock.config import timescale_for
from evolve.clock.models import Deadline, DeadlineKind
from evolve.clock.selectors import deadlines_for_subjects
from evolve.clock.services import (
    deadline_breach_reason_record,
    deadline_meet,
    deadline_pause,
    deadline_resume,
    deadline_start,
)
from evolve.notifications.services import notify
from evolve.people.models import Child
from evolve.people.services import child_open_to_team
from evolve.uploads.fields import checked_upload
from evolve.uploads.storage import store_upload
from referrals.models import Clarification, MashCheck, Referral, ReferralAttachment, ReferralEvent
from referrals.permissions import may_start_referral
from referrals.states import State, TransitionRefused, transition_check
from risk.selectors import catalogue_current, catalogue_indicators

SUBJECT = "referral"


class ReferralConflict(Exception):
    """Someone else acted on the referral after the version this step was based on."""

    def __init__(self, current: Referral) -> None:
        super().__init__("The referral was changed by someone else")
        self.current = current


# Fields a referrer fills in on the form, saved as a draft as they go.
DRAFT_FIELDS = (
    "child_first_name",
    "child_last_name",
    "child_date_of_birth",
    "child_address",
    "child_school",
    "known_to_agencies",
    "referrer_role",
    "referrer_phone",
    "referrer_email",
    "concern",
    "urgency",
    "consent",
    "consent_reason",
)


def referral_hold(*, referral: Referral) -> None:
    """Lock the referral's row until the caller's transaction ends, before anything in it logs an access: from then
    on the transaction holds the access log's chain lock, which every chronology writer needs, so it must not wait
    for a row then (ADR 0015). Changes nothing; the step that follows checks the version as ever."""
    Referral.objects.select_for_update().filter(pk=referral.pk).values_list("pk", flat=True).first()


def _locked(referral: Referral, based_on_version: int) -> Referral:
    current = Referral.objects.select_for_update().get(pk=referral.pk)
    if current.version != based_on_version:
        raise ReferralConflict(current)
    return current


def _record_event(*, referral: Referral, by: User, name: str, summary: str, rationale: str, state_from: str) -> None:
    ReferralEvent.objects.create(
        referral=referral,
        user=by,
        agency_id=by.agency_id,
        transition=name,
        summary=summary[:300],
        rationale=rationale,
        state_from=state_from,
        state_to=referral.state,
    )
    if referral.child_id:
        chronology_record(
            child_id=referral.child_id,
            by=by,
            kind=f"referral.{name}",
            summary=summary,
            rationale=rationale,
            source_type=SUBJECT,
            source_id=referral.pk,
        )


def _transition(
    *,
    referral: Referral,
    name: str,
    by: User,
    based_on_version: int,
    summary: str,
    rationale: str = "",
    apply: Callable[[Referral], None] | None = None,
) -> Referral:
    current = _locked(referral, based_on_version)
    transition = transition_check(
        name=name, state=current.state, roles=by.roles, is_referrer=current.referrer_id == by.pk
    )
    state_from = current.state
    if apply:
        apply(current)
    current.state = transition.target
    current.version += 1
    current.save()
    _record_event(referral=current, by=by, name=name, summary=summary, rationale=rationale, state_from=state_from)
    return current


def _referral_url(referral: Referral) -> str:
    return reverse("referrals:referral-detail", args=[referral.public_id])


def _required(value: str, field: str, message: str) -> str:
    if not (value or "").strip():
        raise ValidationError({field: message})
    return value.strip()


@transaction.atomic
def referral_draft_create(*, by: User, form: str = Referral.Form.MARF, child: Child | None = None) -> Referral:
    if not may_start_referral(by, form):
        raise PermissionDenied("Your role cannot start this kind of referral")
    if form == Referral.Form.CSE_REFERRAL_FORM and child is None:
        raise ValidationError({"child": "Choose the child you are allocated to"})
    referral = Referral.objects.create(
        form=form,
        referrer=by,
        referrer_agency_id=by.agency_id,
        referrer_role=by.job_title,
        referrer_email=by.email,
        child=child,
        child_first_name=child.first_name if child else "",
        child_last_name=child.last_name if child else "",
        child_date_of_birth=child.date_of_birth if child else None,
        child_school=child.school if child else "",
        # The form keeps the catalogue version it was filled in against.
        catalogue_version=catalogue_current(),
    )
    return referral


@transaction.atomic
def referral_draft_save(
    *, referral: Referral, by: User, based_on_version: int, fields: dict[str, Any], indicator_ids: list[int] | None
) -> Referral:
    """Saves whatever has been typed so far, complete or not: a referral is long, and a lost one is a child not
    referred. Only the referrer, only while it is a draft."""
    current = _locked(referral, based_on_version)
    if current.referrer_id != by.pk or current.state != State.DRAFT:
        raise TransitionRefused("Only the person who wrote this referral can change it, and only before it is sent")
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise ValueError(f"Not referral form fields: {sorted(unknown)}")
    dob = fields.get("child_date_of_birth")
    if isinstance(dob, date) and dob > timezone.localdate():
        raise ValidationError({"child_date_of_birth": "Date of birth must be today or in the past"})
    for name, value in fields.items():
        setattr(current, name, value if value is not None or name == "child_date_of_birth" else "")
    if indicator_ids is not None:
        known = {
            indicator.pk
            for category in catalogue_indicators(version=current.catalogue_version or catalogue_current())
            for indicator in category.indicators
        }
        if set(indicator_ids) - known:
            raise ValidationError({"indicators": "Choose indicators from the list on the form"})
    current.version += 1
    current.save()
    if indicator_ids is not None:  # None: leave them as they were
        current.indicators.set(indicator_ids)
    return current


@transaction.atomic
def referral_attachment_add(*, referral: Referral, by: User, upload: UploadedFile[Any]) -> ReferralAttachment:
    """Only a file that went through SafeFileField (checked by content and size) can be stored."""
    if referral.referrer_id != by.pk or referral.state != State.DRAFT:
        raise TransitionRefused("Files can be added by the referrer before the referral is sent")
    checked = checked_upload(upload=upload)
    name = store_upload(upload=upload, checked=checked, prefix="referrals")
    return ReferralAttachment.objects.create(
        referral=referral,
        storage_name=name,
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=by,
    )


def _check_complete(referral: Referral) -> None:
    errors: dict[str, str] = {}
    if not referral.child_id:
        if not referral.child_first_name.strip():
            errors["child_first_name"] = "Enter the child's first name"
        if not referral.child_last_name.strip():
            errors["child_last_name"] = "Enter the child's last name"
    if not referral.concern.strip():
        errors["concern"] = "Describe your concern about the child"
    if not referral.urgency:
        errors["urgency"] = "Select whether the child is at immediate risk"
    if not referral.consent:
        errors["consent"] = "Select whether the child (or their parent) agreed to the referral"
    if (
        referral.consent in (Referral.Consent.REFUSED, Referral.Consent.DISPENSED_WITH)
        and not referral.consent_reason.strip()
    ):
        errors["consent_reason"] = "Say why consent was refused or dispensed with"
    if referral.consent == Referral.Consent.NOT_SOUGHT and not referral.consent_reason.strip():
        errors["consent_reason"] = "Say why the child's agreement was not sought"
    if errors:
        raise ValidationError(errors)


def _after_consent(referral: Referral, by: User) -> None:
    """Dispensed-with consent opens a review for the Head of Service (seed 000, paragraph 26)."""
    if referral.consent != Referral.Consent.DISPENSED_WITH:
        return
    unit, amount = timescale_for("review")
    deadline_start(
        kind=DeadlineKind.REVIEW, unit=unit, amount=amount, subject_type=CONSENT_REVIEW, subject_id=referral.pk
    )
    notify(
        users=users_with_role(roles=[Role.HEAD_OF_SERVICE]),
        subject="Consent dispensed with: review needed",
        body="A referral was made without the child's consent. Review the decision to dispense with it.",
        url=_referral_url(referral),
    )


@transaction.atomic
def referral_submit(*, referral: Referral, by: User, based_on_version: int) -> Referral:
    _check_complete(referral)

    def apply(current: Referral) -> None:
        current.submitted_at = timezone.now()

    submitted = _transition(
        referral=referral,
        name="submit",
        by=by,
        based_on_version=based_on_version,
        summary=f"{submitted_by(by)} submitted a Multi-Agency Referral Form",
        apply=apply,
    )
    _after_consent(submitted, by)
    notify(
        users=users_with_role(roles=[Role.SPOC_WORKER]),
        subject="New contact in the SPOC queue",
        body="A new referral has arrived." + (" It is marked urgent." if submitted.urgency == "urgent" else ""),
        url=_referral_url(submitted),
        email=submitted.urgency == Referral.Urgency.URGENT,
    )
    return submitted


def submitted_by(user: User) -> str:
    agency = user.agency.name if user.agency else "no agency"
    return f"{user.display_name} ({agency})"


def _check_team(referral: Referral, team: Team | None) -> Team:
    """The team a referral goes to; a child already open to one team is not moved to another by a referral."""
    if team is None:
        raise ValidationError({"team": "There is no team to co-allocate to"})
    child = referral.child
    if child is not None and child.open_to_team_id not in (None, team.pk):
        raise ValidationError({"team": "The child is already open to another team: co-allocate to that team"})
    return team


def _evolve_notified(referral: Referral, by: User, team: Team) -> None:
    """Co-allocation: the team manager and detective sergeant hear at once, and the 24-hour clock starts."""
    assert referral.child is not None
    child_open_to_team(child=referral.child, team=team, by=by)
    unit, amount = timescale_for(DeadlineKind.NOTIFICATION)
    deadline_start(
        kind=DeadlineKind.NOTIFICATION, unit=unit, amount=amount, subject_type=SUBJECT, subject_id=referral.pk
    )
    urgent = " It is marked urgent." if referral.urgency == Referral.Urgency.URGENT else ""
    notify(
        users=users_with_role(roles=[Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT], team=team),
        subject="New referral co-allocated to Evolve",
        body=f"A referral has been co-allocated to {team.name} for the daily review.{urgent}",
        url=_referral_url(referral),
    )


@transaction.atomic
def referral_refer_to_evolve(*, referral: Referral, by: User, based_on_version: int, team: Team) -> Referral:
    """The CSE Referral Form: a social worker allocated to the child refers straight to Evolve."""
    if referral.form != Referral.Form.CSE_REFERRAL_FORM or referral.child_id is None:
        raise TransitionRefused("Only a CSE Referral Form about a child's record goes straight to Evolve")
    _check_complete(referral)
    team = _check_team(referral, team)

    def apply(current: Referral) -> None:
        current.submitted_at = current.co_allocated_at = timezone.now()
        current.team = team

    done = _transition(
        referral=referral,
        name="refer_to_evolve",
        by=by,
        based_on_version=based_on_version,
        summary=f"{submitted_by(by)} referred the child straight to Evolve (CSE Referral Form)",
        apply=apply,
    )
    _after_consent(done, by)
    _evolve_notified(done, by, team)
    return done


@transaction.atomic
def referral_ask_clarification(*, referral: Referral, by: User, based_on_version: int, question: str) -> Referral:
    question = _required(question, "question", "Enter what you need the referrer to clarify")
    done = _transition(
        referral=referral,
        name="ask_clarification",
        by=by,
        based_on_version=based_on_version,
        summary="SPOC asked the referrer to clarify",
        rationale=question,
    )
    Clarification.objects.create(referral=done, question=question, asked_by=by)
    notify(
        users=[done.referrer],
        subject="The front door has a question about your referral",
        body="Please open your referral and contact the SPOC team with the answer.",
        url=_referral_url(done),
    )
    return done


@transaction.atomic
def referral_record_clarification(*, referral: Referral, by: User, based_on_version: int, answer: str) -> Referral:
    answer = _required(answer, "answer", "Enter the referrer's answer")
    done = _transition(
        referral=referral,
        name="record_clarification",
        by=by,
        based_on_version=based_on_version,
        summary="SPOC recorded the referrer's answer",
        rationale=answer,
    )
    Clarification.objects.filter(referral=done, answered_at__isnull=True).update(
        answer=answer, answered_at=timezone.now()
    )
    return done


@transaction.atomic
def referral_log(*, referral: Referral, by: User, based_on_version: int, child: Child, notes: str = "") -> Referral:
    """SPOC logs the contact against the child's record (found or created with the duplicate check). Steps taken
    before the child was known go into the child's chronology now, at the times they happened."""

    def apply(current: Referral) -> None:
        current.child = child

    done = _transition(
        referral=referral,
        name="log",
        by=by,
        based_on_version=based_on_version,
        summary="SPOC logged the contact",
        rationale=notes,
        apply=apply,
    )
    for event in done.events.exclude(transition="log").select_related("user"):
        chronology_record(
            child_id=child.pk,
            by=event.user,
            kind=f"referral.{event.transition}",
            summary=event.summary,
            rationale=event.rationale,
            source_type=SUBJECT,
            source_id=done.pk,
            occurred_at=event.at,
        )
    return done


@transaction.atomic
def referral_screen(*, referral: Referral, by: User, based_on_version: int, notes: str) -> Referral:
    notes = _required(notes, "notes", "Enter what the screening found")

    def apply(current: Referral) -> None:
        current.screening_notes = notes

    return _transition(
        referral=referral,
        name="screen",
        by=by,
        based_on_version=based_on_version,
        summary="Triage screened the contact",
        rationale=notes,
        apply=apply,
    )


@dataclass(frozen=True)
class TriageDecision:
    threshold: str
    rag: str
    rationale: str


@transaction.atomic
def referral_send_to_mash(*, referral: Referral, by: User, based_on_version: int, decision: TriageDecision) -> Referral:
    rationale = _required(decision.rationale, "rationale", "Give the reason for the RAG rating")
    if decision.rag not in Referral.Rag.values:
        raise ValidationError({"rag": "Select a RAG rating"})
    if decision.threshold not in Referral.Threshold.values:
        raise ValidationError({"threshold": "Select the threshold"})

    def apply(current: Referral) -> None:
        current.threshold, current.rag_1, current.rag_1_rationale = decision.threshold, decision.rag, rationale

    done = _transition(
        referral=referral,
        name="send_to_mash",
        by=by,
        based_on_version=based_on_version,
        summary=f"Triage manager sent the contact to the MASH, first RAG rating {Referral.Rag(decision.rag).label}",
        rationale=rationale,
        apply=apply,
    )
    unit, amount = timescale_for(DeadlineKind.RAG_RESPONSE, decision.rag)
    deadline_start(kind=DeadlineKind.RAG_RESPONSE, unit=unit, amount=amount, subject_type=SUBJECT, subject_id=done.pk)
    return done


@transaction.atomic
def referral_close(*, referral: Referral, by: User, based_on_version: int, outcome: str, letter: str) -> Referral:
    """A contact that goes no further closes with an outcome and a letter to the referrer."""
    outcome = _required(outcome, "outcome", "Enter the outcome")
    letter = _required(letter, "letter", "Write the outcome letter to the referrer")
    name = "close_at_mash" if referral.state == State.WITH_MASH else "close_at_triage"

    def apply(current: Referral) -> None:
        current.outcome, current.outcome_letter = outcome, letter

    done = _transition(
        referral=referral,
        name=name,
        by=by,
        based_on_version=based_on_version,
        summary=f"Closed: {outcome}",
        rationale=letter,
        apply=apply,
    )
    _meet_open_deadlines(done)
    notify(
        users=[done.referrer],
        subject="Outcome of your referral",
        body="Your referral has been closed. Open it to read the outcome letter.",
        url=_referral_url(done),
    )
    return done


def _meet_open_deadlines(referral: Referral) -> None:
    for deadline in deadlines_for_subjects(subject_type=SUBJECT, subject_ids=[referral.pk]).get(referral.pk, []):
        if deadline.met_at is None and deadline.kind == DeadlineKind.RAG_RESPONSE:
            deadline_meet(deadline=deadline)


@transaction.atomic
def mash_check_record(*, referral: Referral, by: User, holds_information: bool, summary: str) -> MashCheck:
    """One agency's check; a second from the same agency is refused (it would hide the first)."""
    if not by.has_role(Role.MASH_WORKER):
        raise TransitionRefused("Only MASH workers record agency checks")
    referral = Referral.objects.select_for_update().get(pk=referral.pk)  # one check at a time, against the state now
    if referral.state != State.WITH_MASH:
        raise TransitionRefused("Agency checks are recorded while the referral is with the MASH")
    if by.agency_id is None:
        raise TransitionRefused("You need an agency to record its check")
    if holds_information and not summary.strip():
        raise ValidationError({"summary": "Summarise what your agency holds"})
    if MashCheck.objects.filter(referral=referral, agency_id=by.agency_id).exists():
        raise ValidationError({"summary": "Your agency's check is already recorded"})
    check = MashCheck.objects.create(
        referral=referral, agency_id=by.agency_id, by=by, holds_information=holds_information, summary=summary.strip()
    )
    _record_event(
        referral=referral,
        by=by,
        name="mash_check",
        summary=f"{by.agency} recorded its MASH check: {'holds information' if holds_information else 'holds nothing'}",
        rationale=summary.strip(),
        state_from=referral.state,
    )
    return check


CONSENT_REVIEW = "referral-consent"
CLOCK_ROLES = (*FRONT_DOOR_ROLES, Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT, Role.HEAD_OF_SERVICE)


def _clock_roles(deadline: Deadline) -> tuple[Role, ...]:
    """The consent review's clock is the Head of Service's alone; the referral's own clocks the front door's."""
    if deadline.subject_type == CONSENT_REVIEW:
        return (Role.HEAD_OF_SERVICE,)
    return CLOCK_ROLES


def _referral_deadline(referral: Referral, deadline_id: int) -> Deadline:
    for subject_type in (SUBJECT, CONSENT_REVIEW):
        for deadline in deadlines_for_subjects(subject_type=subject_type, subject_ids=[referral.pk])[referral.pk]:
            if deadline.pk == deadline_id:
                return deadline
    raise TransitionRefused("That clock does not belong to this referral")


def _clock_step(
    *,
    referral: Referral,
    by: User,
    deadline_id: int,
    name: str,
    doing: str,
    change: Callable[[Deadline], Deadline],
    summary: Callable[[Deadline], str],
    reason: str = "",
) -> Deadline:
    """One change to one of the referral's clocks, by someone allowed, with the change in the timeline."""
    deadline = _referral_deadline(referral, deadline_id)
    if not by.has_role(*_clock_roles(deadline)):
        raise TransitionRefused(f"You cannot {doing} on this referral")
    changed = change(deadline)
    _record_event(
        referral=referral,
        by=by,
        name=name,
        summary=summary(changed),
        rationale=reason.strip(),
        state_from=referral.state,
    )
    return changed


@transaction.atomic
def referral_clock_pause(*, referral: Referral, by: User, deadline_id: int, reason: str) -> Deadline:
    """Stop one of the referral's clocks, with the reason in its timeline (a timescale paused is a decision)."""
    return _clock_step(
        referral=referral,
        by=by,
        deadline_id=deadline_id,
        name="clock_pause",
        doing="pause a clock",
        change=lambda deadline: deadline_pause(deadline=deadline, by=by, reason=reason),
        summary=lambda deadline: f"Clock paused ({deadline.get_kind_display()})",
        reason=reason,
    )


@transaction.atomic
def referral_clock_breach_reason(*, referral: Referral, by: User, deadline_id: int, reason: str) -> Deadline:
    """Why a timescale was missed, on record for the monthly report and for anyone reading the referral. The page
    offers the form only until a reason is recorded, so one recorded meanwhile is refused, not replaced."""
    return _clock_step(
        referral=referral,
        by=by,
        deadline_id=deadline_id,
        name="clock_breach",
        doing="record why a clock was missed",
        change=lambda deadline: deadline_breach_reason_record(deadline=deadline, by=by, reason=reason),
        summary=lambda deadline: f"Missed: {deadline.get_kind_display()}",
        reason=reason,
    )


@transaction.atomic
def referral_clock_resume(*, referral: Referral, by: User, deadline_id: int) -> Deadline:
    return _clock_step(
        referral=referral,
        by=by,
        deadline_id=deadline_id,
        name="clock_resume",
        doing="restart a clock",
        change=lambda deadline: deadline_resume(deadline=deadline, by=by),
        summary=lambda deadline: f"Clock restarted ({deadline.get_kind_display()})",
    )


@transaction.atomic
def consent_review_record(*, referral: Referral, by: User, agreed: bool, notes: str) -> Referral:
    """The Head of Service's review of a decision to refer without the child's consent (seed 000, paragraph 26)."""
    if not by.has_role(Role.HEAD_OF_SERVICE):
        raise TransitionRefused("Only the Head of Service reviews consent that was dispensed with")
    referral = Referral.objects.select_for_update().get(pk=referral.pk)  # two reviews at once: the second is told
    if referral.consent != Referral.Consent.DISPENSED_WITH or referral.state == State.DRAFT:
        raise TransitionRefused("This referral has no consent decision to review")
    notes = _required(notes, "notes", "Record the reasons for your review")
    open_reviews = [
        deadline
        for deadline in deadlines_for_subjects(subject_type=CONSENT_REVIEW, subject_ids=[referral.pk])[referral.pk]
        if deadline.met_at is None
    ]
    if not open_reviews:
        raise TransitionRefused("The consent decision on this referral has already been reviewed")
    for deadline in open_reviews:
        deadline_meet(deadline=deadline)
    verdict = "agreed with" if agreed else "disagreed with"
    _record_event(
        referral=referral,
        by=by,
        name="consent_review",
        summary=f"Head of Service {verdict} dispensing with consent",
        rationale=notes,
        state_from=referral.state,
    )
    return referral


def consent_review_open(*, referral: Referral) -> bool:
    deadlines = deadlines_for_subjects(subject_type=CONSENT_REVIEW, subject_ids=[referral.pk])[referral.pk]
    return any(deadline.met_at is None for deadline in deadlines)


@dataclass(frozen=True)
class MashDecision:
    rag: str
    intervention: str
    rationale: str
    team: Team


@transaction.atomic
def referral_co_allocate(*, referral: Referral, by: User, based_on_version: int, decision: MashDecision) -> Referral:
    rationale = _required(decision.rationale, "rationale", "Give the reason for the RAG rating")
    if decision.rag not in Referral.Rag.values:
        raise ValidationError({"rag": "Select a RAG rating"})
    if decision.intervention not in Referral.Intervention.values:
        raise ValidationError({"intervention": "Select the level of intervention"})
    if not MashCheck.objects.filter(referral=referral).exists():
        raise ValidationError({"rag": "Record at least one agency's check before deciding"})
    team = _check_team(referral, decision.team)

    def apply(current: Referral) -> None:
        current.rag_2, current.rag_2_rationale = decision.rag, rationale
        current.intervention, current.co_allocated_at = decision.intervention, timezone.now()
        current.team = team

    done = _transition(
        referral=referral,
        name="co_allocate",
        by=by,
        based_on_version=based_on_version,
        summary=(
            f"MASH co-allocated to {decision.team.name}: second RAG rating "
            f"{Referral.Rag(decision.rag).label.lower()}, {Referral.Intervention(decision.intervention).label}"
        ),
        rationale=rationale,
        apply=apply,
    )
    _meet_open_deadlines(done)
    _evolve_notified(done, by, decision.team)
    return done


def referral_evolve_acknowledge(*, referral: Referral) -> None:
    """The team manager or detective sergeant has taken the referral up: the 24-hour notification clock is met."""
    for deadline in deadlines_for_subjects(subject_type=SUBJECT, subject_ids=[referral.pk]).get(referral.pk, []):
        if deadline.met_at is None and deadline.kind == DeadlineKind.NOTIFICATION:
            deadline_meet(deadline=deadline)


@transaction.atomic
def referral_evolve_decide(
    *, referral: Referral, by: User, summary: str, rationale: str, outcome: str = "", letter: str = ""
) -> Referral:
    """The daily review's decision is made (evolve.cases decides it; this moves the referral on and, for advice,
    sends the letter to the referrer). Refused if the referral is no longer waiting for a decision."""
    current_version = Referral.objects.values_list("version", flat=True).get(pk=referral.pk)

    def apply(current: Referral) -> None:
        if letter:
            current.outcome, current.outcome_letter = outcome[:300], letter

    done = _transition(
        referral=referral,
        name="evolve_decide",
        by=by,
        based_on_version=current_version,
        summary=summary,
        rationale=rationale,
        apply=apply,
    )
    referral_evolve_acknowledge(referral=done)
    if letter:
        notify(
            users=[done.referrer],
            subject="Evolve has replied to your referral",
            body="The Evolve team has decided what happens next and written to you. Read the letter on the referral.",
            url=_referral_url(done),
        )
    return done
