"""One referral from a school's MARF to Evolve, and who may take each step (seed 000, paragraphs 25-31)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from evolve.accounts.models import Team, User
from evolve.chronology.models import ChronologyEntry
from evolve.clock.models import Deadline, DeadlineKind
from evolve.notifications.models import Notification
from referrals.models import Referral, ReferralEvent
from referrals.services import (
    MashDecision,
    ReferralConflict,
    TriageDecision,
    mash_check_record,
    referral_ask_clarification,
    referral_close,
    referral_co_allocate,
    referral_draft_save,
    referral_log,
    referral_record_clarification,
    referral_screen,
    referral_send_to_mash,
    referral_submit,
)
from referrals.states import TRANSITIONS, State, TransitionRefused
from tests.conftest import signed_in
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def test_a_referral_goes_from_a_school_to_evolve_and_the_team_is_told_at_once(
    at_stage: Callable[[str], Referral],
    people: dict[str, User],
    team: Team,
    eager_celery: None,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        referral = at_stage("co_allocated")
    assert referral.state == State.CO_ALLOCATED
    assert (referral.rag_1, referral.rag_2, referral.intervention) == ("amber", "red", "section_47")
    assert referral.child is not None
    referral.child.refresh_from_db()
    assert referral.child.open_to_team == team
    # The team manager and the detective sergeant, by email and in the app; nobody's name of a child in the email.
    emailed = sorted(address for message in mail.outbox for address in message.to)
    assert {"tm@evolve.invalid", "ds@evolve.invalid"} <= set(emailed)
    evolve_mail = [m for m in mail.outbox if "co-allocated" in m.subject]
    assert evolve_mail and all("Maisie" not in m.body and "Fenwick" not in m.body for m in evolve_mail)
    assert Notification.objects.filter(user=people["tm"], subject__contains="co-allocated").exists()
    # The 24-hour notification clock runs from the MASH decision.
    deadline = Deadline.objects.get(kind=DeadlineKind.NOTIFICATION, subject_id=referral.pk)
    assert deadline.due_at - deadline.started_at == timedelta(hours=24)
    # The child's chronology shows every step, including those before the child was known.
    kinds = list(
        ChronologyEntry.objects.filter(child=referral.child)
        .order_by("occurred_at", "id")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        "referral.submit",
        "referral.log",
        "referral.screen",
        "referral.send_to_mash",
        "referral.mash_check",
        "referral.co_allocate",
    ]
    assert ReferralEvent.objects.filter(referral=referral).count() == 6


STAGE_OF = {
    "submit": "draft",
    "refer_to_evolve": "draft",
    "ask_clarification": "submitted",
    "record_clarification": "awaiting",
    "log": "submitted",
    "screen": "logged",
    "send_to_mash": "screened",
    "close_at_triage": "screened",
    "co_allocate": "with_mash",
    "close_at_mash": "with_mash",
    "evolve_decide": "co_allocated",
}
EVERYONE = [
    "teacher",
    "other_teacher",
    "spoc",
    "triage",
    "triage_manager",
    "mash",
    "tm",
    "ds",
    "practitioner",
    "head_of_service",
    "governance",
    "case_holder",
]
ALLOWED = {
    "submit": {"teacher"},
    "refer_to_evolve": {"case_holder"},
    "ask_clarification": {"spoc"},
    "record_clarification": {"spoc"},
    "log": {"spoc"},
    "screen": {"triage"},
    "send_to_mash": {"triage_manager"},
    "close_at_triage": {"triage_manager"},
    "co_allocate": {"mash"},
    "close_at_mash": {"mash"},
    "evolve_decide": {"tm", "ds"},  # and a service manager resolving an escalation (tests/cases/test_decisions.py)
}


def _take(name: str, referral: Referral, by: User, team: Team) -> Referral:
    version = referral.version
    if name == "submit":
        return referral_submit(referral=referral, by=by, based_on_version=version)
    if name == "refer_to_evolve":
        from referrals.services import referral_refer_to_evolve

        return referral_refer_to_evolve(referral=referral, by=by, based_on_version=version, team=team)
    if name == "ask_clarification":
        return referral_ask_clarification(referral=referral, by=by, based_on_version=version, question="Which car?")
    if name == "record_clarification":
        return referral_record_clarification(referral=referral, by=by, based_on_version=version, answer="Blue.")
    if name == "log":
        child = ChildFactory.create(first_name="Maisie", last_name="Fenwick")
        return referral_log(referral=referral, by=by, based_on_version=version, child=child)
    if name == "screen":
        return referral_screen(referral=referral, by=by, based_on_version=version, notes="Screened.")
    if name == "send_to_mash":
        decision = TriageDecision(threshold="child_protection", rag="amber", rationale="Indicators.")
        return referral_send_to_mash(referral=referral, by=by, based_on_version=version, decision=decision)
    if name in ("close_at_triage", "close_at_mash"):
        return referral_close(referral=referral, by=by, based_on_version=version, outcome="Advice", letter="Dear...")
    if name == "evolve_decide":
        from referrals.services import referral_evolve_decide

        return referral_evolve_decide(referral=referral, by=by, summary="Decided", rationale="Agreed at review.")
    mash_decision = MashDecision(rag="red", intervention="section_47", rationale="Intelligence.", team=team)
    return referral_co_allocate(referral=referral, by=by, based_on_version=version, decision=mash_decision)


def _prepare(name: str, at_stage: Callable[[str], Referral], people: dict[str, User]) -> Referral:
    stage = STAGE_OF[name]
    if stage == "awaiting":
        referral = at_stage("submitted")
        return referral_ask_clarification(
            referral=referral, by=people["spoc"], based_on_version=referral.version, question="Which car?"
        )
    if name == "refer_to_evolve":
        from evolve.access.grants import child_access_grant
        from referrals.services import referral_draft_create

        child = ChildFactory.create(first_name="Maisie", last_name="Fenwick")
        child_access_grant(child=child, user=people["case_holder"])
        referral = referral_draft_create(by=people["case_holder"], form=Referral.Form.CSE_REFERRAL_FORM, child=child)
        return referral_draft_save(
            referral=referral,
            by=people["case_holder"],
            based_on_version=referral.version,
            fields={"concern": "Missing three times this month.", "consent": "given", "urgency": "routine"},
            indicator_ids=[],
        )
    referral = at_stage(stage)
    if name == "co_allocate":
        mash_check_record(referral=referral, by=people["mash_police"], holds_information=False, summary="")
    return referral


CASES = [(name, who) for name in TRANSITIONS for who in EVERYONE if who not in ALLOWED[name]]


@pytest.mark.parametrize(("name", "who"), CASES, ids=[f"{n}-by-{w}" for n, w in CASES])
def test_every_step_refuses_every_role_that_may_not_take_it_and_changes_nothing(
    at_stage: Callable[[str], Referral], people: dict[str, User], team: Team, name: str, who: str
) -> None:
    referral = _prepare(name, at_stage, people)
    before = (referral.state, referral.version, ReferralEvent.objects.count(), ChronologyEntry.objects.count())
    with pytest.raises(TransitionRefused):
        _take(name, referral, people[who], team)
    referral.refresh_from_db()
    after = (referral.state, referral.version, ReferralEvent.objects.count(), ChronologyEntry.objects.count())
    assert after == before


@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_every_step_is_taken_by_the_role_that_owns_it(
    at_stage: Callable[[str], Referral], people: dict[str, User], team: Team, name: str
) -> None:
    referral = _prepare(name, at_stage, people)
    who = sorted(ALLOWED[name])[0]
    done = _take(name, referral, people[who], team)
    assert done.state == TRANSITIONS[name].target
    assert ReferralEvent.objects.filter(referral=done, transition=name).exists()


def test_a_step_from_the_wrong_state_is_refused_with_a_clear_message(
    at_stage: Callable[[str], Referral], people: dict[str, User]
) -> None:
    referral = at_stage("logged")
    with pytest.raises(TransitionRefused, match="cannot be done now"):
        _take("send_to_mash", referral, people["triage_manager"], Team())
    referral.refresh_from_db()
    assert referral.state == State.LOGGED


def test_two_people_acting_at_once_cannot_both_win(
    at_stage: Callable[[str], Referral], people: dict[str, User]
) -> None:
    referral = at_stage("logged")
    stale = Referral.objects.get(pk=referral.pk)
    referral_screen(referral=referral, by=people["triage"], based_on_version=referral.version, notes="First.")
    with pytest.raises(ReferralConflict) as refused:
        referral_screen(referral=stale, by=people["triage"], based_on_version=stale.version, notes="Second.")
    assert refused.value.current.screening_notes == "First."
    assert ReferralEvent.objects.filter(transition="screen").count() == 1


def test_an_incomplete_referral_cannot_be_sent(at_stage: Callable[[str], Referral], people: dict[str, User]) -> None:
    referral = at_stage("draft")
    referral = referral_draft_save(
        referral=referral,
        by=people["teacher"],
        based_on_version=referral.version,
        fields={"concern": "", "consent": "dispensed_with", "consent_reason": ""},
        indicator_ids=[],
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        referral_submit(referral=referral, by=people["teacher"], based_on_version=referral.version)
    assert set(refused.value.message_dict) == {"concern", "consent_reason"}
    referral.refresh_from_db()
    assert referral.state == State.DRAFT


def test_consent_dispensed_with_opens_a_review_for_the_head_of_service(
    at_stage: Callable[[str], Referral], people: dict[str, User], eager_celery: None, django_capture_on_commit_callbacks
) -> None:
    referral = at_stage("draft")
    referral = referral_draft_save(
        referral=referral,
        by=people["teacher"],
        based_on_version=referral.version,
        fields={"consent": "dispensed_with", "consent_reason": "Telling the family would put the child at risk."},
        indicator_ids=[],
    )
    with django_capture_on_commit_callbacks(execute=True):
        referral_submit(referral=referral, by=people["teacher"], based_on_version=referral.version)
    assert Notification.objects.filter(user=people["head_of_service"], subject__contains="Consent").exists()
    assert Deadline.objects.filter(kind=DeadlineKind.REVIEW, subject_type="referral-consent", subject_id=referral.pk)
    assert any("hos@cs.invalid" in message.to for message in mail.outbox)


def test_a_closed_contact_sends_the_outcome_letter_to_the_referrer(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    referral = at_stage("screened")
    referral_close(
        referral=referral,
        by=people["triage_manager"],
        based_on_version=referral.version,
        outcome="Advice and information to the referrer",
        letter="Thank you for your referral. We have given advice to the school.",
    )
    page = sign_in(people["teacher"]).get(reverse("referrals:referral-detail", args=[referral.public_id]))
    assert "We have given advice to the school." in page.content.decode()
    assert Notification.objects.filter(user=people["teacher"], subject="Outcome of your referral").exists()


def test_a_referrer_from_another_school_cannot_see_the_referral(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    referral = at_stage("submitted")
    client = sign_in(people["other_teacher"])
    assert client.get(reverse("referrals:referral-detail", args=[referral.public_id])).status_code == 404
    assert client.get(reverse("api-referral-detail", args=[referral.public_id])).status_code == 404
    assert client.get(reverse("api-referral-list")).json()["results"] == []
    assert str(referral.public_id) not in client.get(reverse("referrals:referral-list")).content.decode()
    own = sign_in(people["teacher"])
    assert own.get(reverse("referrals:referral-detail", args=[referral.public_id])).status_code == 200
    assert sign_in(people["governance"]).get(reverse("api-referral-list")).status_code == 403


def test_the_head_of_service_reviews_consent_dispensed_with_from_their_queue(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    referral = at_stage("draft")
    referral = referral_draft_save(
        referral=referral,
        by=people["teacher"],
        based_on_version=referral.version,
        fields={"consent": "dispensed_with", "consent_reason": "Telling the family would put the child at risk."},
        indicator_ids=[],
    )
    referral = referral_submit(referral=referral, by=people["teacher"], based_on_version=referral.version)
    client = sign_in(people["head_of_service"])
    queue = client.get(reverse("referrals:referral-queue", args=["consent"])).content.decode()
    assert str(referral.public_id) in queue
    assert sign_in(people["spoc"]).get(reverse("referrals:referral-queue", args=["consent"])).status_code == 403
    client = sign_in(people["head_of_service"])
    done = client.post(
        reverse("referrals:referral-action", args=[referral.public_id, "consent-review"]),
        {"agreed": "yes", "notes": "Right call: the risk at home outweighs it.", "version": str(referral.version)},
    )
    assert done.status_code == 302
    assert ReferralEvent.objects.filter(referral=referral, transition="consent_review").exists()
    assert Deadline.objects.get(subject_type="referral-consent", subject_id=referral.pk).met_at is not None
    assert (
        str(referral.public_id)
        not in client.get(reverse("referrals:referral-queue", args=["consent"])).content.decode()
    )
    again = client.post(
        reverse("referrals:referral-action", args=[referral.public_id, "consent-review"]),
        {"agreed": "no", "notes": "Changed my mind", "version": str(referral.version)},
    )
    assert again.status_code == 409
    assert ReferralEvent.objects.filter(referral=referral, transition="consent_review").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("published_catalogue")  # a transactional test's database starts without migration data
def test_a_contact_logged_with_a_new_record_while_the_referral_is_held_waits_and_is_not_a_deadlock(
    at_stage: Callable[[str], Referral], people: dict[str, User]
) -> None:
    """The SPOC logs a contact against a new record (which logs an access, taking the access log's chain lock) while
    another step holds the referral's row and is about to write the chronology (which takes that lock too). Were the
    new record made before the referral's row was taken, each would wait for the other and PostgreSQL would end one
    with "deadlock detected": a 500 and the step lost. The page takes the row first, so it waits, then logs."""
    import threading

    from django.db import transaction

    from evolve.chronology.services import chronology_record
    from tests.concurrently import at_once, lock_waiters, until

    referral = at_stage("submitted")
    known = ChildFactory.create(first_name="Lou", last_name="Heldrow")
    holding = threading.Event()
    answers: list[int] = []

    def other_step() -> None:
        with transaction.atomic():
            Referral.objects.select_for_update().get(pk=referral.pk)
            holding.set()
            until(lambda: lock_waiters() > 0)  # the SPOC's post is waiting now
            chronology_record(
                child_id=known.pk, by=people["mash"], kind="note", summary="Held", source_type="note", source_id=1
            )

    def spoc_logs_a_new_record() -> None:
        holding.wait(10)
        client = signed_in(Client(), people["spoc"])
        posted = {"child": "new", "notes": "", "version": str(referral.version)}
        answers.append(
            client.post(reverse("referrals:referral-action", args=[referral.public_id, "log"]), posted).status_code
        )

    assert at_once(other_step, spoc_logs_a_new_record) == []
    assert answers == [302]
    referral.refresh_from_db()
    assert referral.state == State.LOGGED and referral.child is not None
