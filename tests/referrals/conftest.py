"""A front door with one user per role, and referrals at each stage of the pathway."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest

from evolve import celery_app
from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from referrals.models import Referral
from referrals.services import (
    MashDecision,
    TriageDecision,
    mash_check_record,
    referral_draft_create,
    referral_draft_save,
    referral_log,
    referral_screen,
    referral_send_to_mash,
    referral_submit,
)
from tests.factories import ChildFactory


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run in the test's process when queued (the email is the thing under test, not the broker)."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def people(make_user: Callable[..., User], school: Agency, police: Agency, social_care: Agency) -> dict[str, User]:
    other_school = Agency.objects.create(name="Valley College", short_name="Valley", kind=Agency.Kind.EDUCATION)
    return {
        "teacher": make_user(Role.REFERRER, agency=school, username="teacher", email="teacher@school.invalid"),
        "other_teacher": make_user(Role.REFERRER, agency=other_school, username="other-teacher"),
        "spoc": make_user(Role.SPOC_WORKER, username="spoc"),
        "triage": make_user(Role.TRIAGE_WORKER, username="triage"),
        "triage_manager": make_user(Role.TRIAGE_MANAGER, username="triage-manager"),
        "mash": make_user(Role.MASH_WORKER, username="mash"),
        "mash_police": make_user(Role.MASH_WORKER, agency=police, username="mash-police"),
        "tm": make_user(Role.TEAM_MANAGER, in_team=True, username="tm", email="tm@evolve.invalid"),
        "ds": make_user(Role.DETECTIVE_SERGEANT, agency=police, in_team=True, username="ds", email="ds@evolve.invalid"),
        "practitioner": make_user(Role.PRACTITIONER, in_team=True, username="practitioner"),
        "head_of_service": make_user(Role.HEAD_OF_SERVICE, username="hos", email="hos@cs.invalid"),
        "governance": make_user(Role.GOVERNANCE, username="governance"),
        "case_holder": make_user(Role.CASE_HOLDING_SOCIAL_WORKER, username="case-holder"),
    }


COMPLETE = {
    "child_first_name": "Maisie",
    "child_last_name": "Fenwick",
    "child_date_of_birth": date(2011, 6, 2),
    "concern": "Seen getting into cars with older men after school; new phone and clothes.",
    "urgency": "routine",
    "consent": "given",
    "consent_reason": "",
}


@pytest.fixture
def at_stage(people: dict[str, User], team: Team) -> Callable[[str], Referral]:
    """A referral brought to `stage` by the right people, step by step."""

    def bring(stage: str) -> Referral:
        referral = referral_draft_create(by=people["teacher"])
        referral = referral_draft_save(
            referral=referral,
            by=people["teacher"],
            based_on_version=referral.version,
            fields=COMPLETE,
            indicator_ids=[],
        )
        if stage == "draft":
            return referral
        referral = referral_submit(referral=referral, by=people["teacher"], based_on_version=referral.version)
        if stage == "submitted":
            return referral
        child = ChildFactory.create(first_name="Maisie", last_name="Fenwick", date_of_birth=date(2011, 6, 2))
        referral = referral_log(referral=referral, by=people["spoc"], based_on_version=referral.version, child=child)
        if stage == "logged":
            return referral
        referral = referral_screen(
            referral=referral, by=people["triage"], based_on_version=referral.version, notes="Indicators of CSE."
        )
        if stage == "screened":
            return referral
        referral = referral_send_to_mash(
            referral=referral,
            by=people["triage_manager"],
            based_on_version=referral.version,
            decision=TriageDecision(threshold="child_protection", rag="amber", rationale="Several indicators."),
        )
        if stage == "with_mash":
            return referral
        mash_check_record(referral=referral, by=people["mash_police"], holds_information=True, summary="Known car.")
        from referrals.services import referral_co_allocate

        return referral_co_allocate(
            referral=referral,
            by=people["mash"],
            based_on_version=referral.version,
            decision=MashDecision(rag="red", intervention="section_47", rationale="Police intelligence.", team=team),
        )

    return bring
