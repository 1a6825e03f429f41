"""Hostile input through every step of the referral pathway's pages (issue 10): hypothesis posts what a careless
paste, a hurried hand or an attacker sends to each step, as the person whose step it is, on a referral waiting for
it. Every answer is a page, never a 500; and a post that was not saved (a page saying what is wrong, or a refusal)
changed nothing in the database: no half-made child record, no event without its state, no clock without its step.

Each example runs in a savepoint rolled back afterwards, so every one meets the referral as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evolve.accounts.models import Team, User
from referrals import forms as referral_forms
from referrals.models import Referral
from referrals.services import mash_check_record, referral_ask_clarification
from tests.conftest import signed_in
from tests.security.hostile import HOSTILE_TEXT, content_fingerprint, form_names

pytestmark = pytest.mark.django_db

# Each step with a form of its own on the referral's page: who takes it, from which stage, with which form.
STEPS: dict[str, tuple[str, str, type[forms.Form]]] = {
    "ask_clarification": ("spoc", "submitted", referral_forms.QuestionForm),
    "record_clarification": ("spoc", "awaiting", referral_forms.AnswerForm),
    "log": ("spoc", "submitted", referral_forms.LogForm),
    "screen": ("triage", "logged", referral_forms.ScreenForm),
    "send_to_mash": ("triage_manager", "screened", referral_forms.TriageDecisionForm),
    "close_at_triage": ("triage_manager", "screened", referral_forms.CloseForm),
    "mash_check": ("mash_police", "with_mash", referral_forms.MashCheckForm),
    "co_allocate": ("mash", "with_mash", referral_forms.CoAllocateForm),
    "close_at_mash": ("mash", "with_mash", referral_forms.CloseForm),
}
SENSIBLE = [
    "Seen with older men near the station.",
    "new",
    "yes",
    "no",
    "amber",
    "red",
    "child_protection",
    "section_47",
]


def _form(form_class: type[forms.Form], team: Team) -> forms.Form:
    if form_class is referral_forms.LogForm:
        return form_class(child_choices=[])  # "new" is always offered
    if form_class is referral_forms.CoAllocateForm:
        return form_class(team_choices=[(str(team.pk), team.name)])
    return form_class()


def _fields(form: forms.Form) -> dict[str, st.SearchStrategy[str]]:
    """Hostile text for every field, mixed with what a person would send (a choice offered, a sentence), so that some
    examples get as far as saving."""
    offered = [str(value) for field in form.fields.values() for value, _ in getattr(field, "choices", []) if str(value)]
    return {name: st.one_of(st.sampled_from(SENSIBLE + offered), kind) for name, kind in form_names(form).items()}


def _referral(step: str, at_stage: Callable[[str], Referral], people: dict[str, User]) -> Referral:
    stage = STEPS[step][1]
    if stage == "awaiting":
        referral = at_stage("submitted")
        return referral_ask_clarification(
            referral=referral, by=people["spoc"], based_on_version=referral.version, question="Which car?"
        )
    referral = at_stage(stage)
    if step == "co_allocate":  # the police check comes first
        mash_check_record(referral=referral, by=people["mash_police"], holds_information=False, summary="")
        referral.refresh_from_db()
    return referral


@pytest.mark.parametrize("step", list(STEPS))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_step_given_hostile_input_answers_a_page_and_writes_nothing_unless_it_saved(
    step: str, data: Any, at_stage: Callable[[str], Referral], people: dict[str, User], team: Team
) -> None:
    who, _, form_class = STEPS[step]
    referral = _referral(step, at_stage, people)
    names = _fields(_form(form_class, team))
    posted: dict[str, Any] = {name: data.draw(st.lists(kind, min_size=1, max_size=2)) for name, kind in names.items()}
    # The version the page showed, most of the time; sometimes one made up, as a tampered or stale page would send.
    posted["version"] = data.draw(st.one_of(st.just(str(referral.version)), HOSTILE_TEXT))
    client = signed_in(Client(), people[who])
    with transaction.atomic():
        before = content_fingerprint()
        response = client.post(f"/referrals/{referral.public_id}/{step}/", posted)
        assert response.status_code < 500
        if response.status_code != 302:
            assert response.status_code in (400, 409), response.status_code
            after = content_fingerprint()
            changed = sorted(name for name in after if after[name] != before.get(name))
            assert changed == [], f"a refused {step} wrote to {changed}"
        transaction.set_rollback(True)
