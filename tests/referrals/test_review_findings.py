"""Defects found in review, each pinned by a test: who sees what, nothing half-applied, no 500 on odd input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.clock.models import Deadline
from evolve.people.models import Child
from referrals.models import Referral
from referrals.services import referral_draft_save, referral_submit
from referrals.states import State
from risk.selectors import catalogue_current, catalogue_indicators

pytestmark = pytest.mark.django_db


def test_a_member_of_another_team_does_not_see_the_referral(
    at_stage: Callable[[str], Referral], make_user: Callable[..., User], sign_in: Callable[[User], Client]
) -> None:
    referral = at_stage("co_allocated")
    north = Team.objects.create(name="Evolve North")
    other = make_user(Role.PRACTITIONER, username="north-practitioner")
    other.team = north
    other.save()
    client = sign_in(other)
    assert client.get(reverse("referrals:referral-detail", args=[referral.public_id])).status_code == 404
    assert client.get(reverse("api-referral-list")).json()["results"] == []


def test_a_referral_about_a_restricted_child_follows_the_childs_record(
    at_stage: Callable[[str], Referral], people: dict[str, User], police: Agency, sign_in: Callable[[User], Client]
) -> None:
    referral = at_stage("with_mash")
    assert referral.child is not None
    Child.objects.filter(pk=referral.child.pk).update(restricted_to_agency=police)
    url = reverse("referrals:referral-detail", args=[referral.public_id])
    assert sign_in(people["mash"]).get(url).status_code == 404, "social care MASH worker: the child is police-only"
    assert sign_in(people["mash_police"]).get(url).status_code == 200


def test_the_referrer_sees_status_and_outcome_but_not_the_workings(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    referral = at_stage("co_allocated")
    client = sign_in(people["teacher"])
    page = client.get(reverse("referrals:referral-detail", args=[referral.public_id])).content.decode()
    assert "Co-allocated to Evolve" in page
    for internal in ("Known car.", "Police intelligence.", "Several indicators.", "Indicators of CSE."):
        assert internal not in page, internal
    body = client.get(reverse("api-referral-detail", args=[referral.public_id])).json()
    assert body["state"] == "co_allocated"
    assert not {"rag_1", "rag_2_rationale", "events", "child"} & set(body)


def test_logging_a_new_child_on_a_stale_page_creates_no_child(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    referral = at_stage("submitted")
    response = sign_in(people["spoc"]).post(
        reverse("referrals:referral-action", args=[referral.public_id, "log"]),
        {"child": "new", "notes": "", "version": str(referral.version - 1)},
    )
    assert response.status_code == 409
    assert not Child.objects.exists()


@pytest.mark.parametrize("version", ["abc", "1.0", ""])
def test_an_unreadable_version_is_a_stale_page_not_an_error(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client], version: str
) -> None:
    referral = at_stage("logged")
    response = sign_in(people["triage"]).post(
        reverse("referrals:referral-action", args=[referral.public_id, "screen"]), {"notes": "x", "version": version}
    )
    assert response.status_code == 409
    referral.refresh_from_db()
    assert referral.state == State.LOGGED


def test_a_long_outcome_closes_the_referral(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    referral = at_stage("screened")
    response = sign_in(people["triage_manager"]).post(
        reverse("referrals:referral-action", args=[referral.public_id, "close-at-triage"]),
        {"outcome": "A" * 300, "letter": "Dear referrer", "version": str(referral.version)},
    )
    assert response.status_code == 302
    api = sign_in(people["triage_manager"]).post(
        reverse("api-referral-action", args=[referral.public_id, "close_at_triage"]),
        {"outcome": "B" * 400, "letter": "x", "version": 1},
        content_type="application/json",
    )
    assert api.status_code == 400


def test_unknown_indicators_are_refused_and_a_bad_one_keeps_the_saved_ones(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    referral = at_stage("draft")
    indicators = [i.pk for c in catalogue_indicators(version=catalogue_current()) for i in c.indicators][:2]
    referral = referral_draft_save(
        referral=referral, by=people["teacher"], based_on_version=referral.version, fields={}, indicator_ids=indicators
    )
    client = sign_in(people["teacher"])
    api = client.patch(
        reverse("api-referral-detail", args=[referral.public_id]),
        {"version": referral.version, "indicator_ids": [987654]},
        content_type="application/json",
    )
    assert api.status_code == 400
    page = client.post(
        reverse("referrals:referral-edit", args=[referral.public_id]),
        {"indicators": [str(indicators[0]), "x"], "version": str(referral.version), "action": "save"},
    )
    assert page.status_code == 400
    assert sorted(referral.indicators.values_list("pk", flat=True)) == sorted(indicators)


def test_only_the_head_of_service_touches_the_consent_review_clock(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    referral = at_stage("draft")
    referral = referral_draft_save(
        referral=referral,
        by=people["teacher"],
        based_on_version=referral.version,
        fields={"consent": "dispensed_with", "consent_reason": "Risk at home."},
        indicator_ids=None,
    )
    referral_submit(referral=referral, by=people["teacher"], based_on_version=referral.version)
    review = Deadline.objects.get(subject_type="referral-consent", subject_id=referral.pk)
    base = f"/referrals/{referral.public_id}/clocks/{review.pk}"
    assert sign_in(people["spoc"]).post(f"{base}/pause/", {"reason": "Busy"}).status_code == 409
    assert sign_in(people["head_of_service"]).post(f"{base}/explode/").status_code == 404
    assert sign_in(people["head_of_service"]).post(f"{base}/pause/", {"reason": "On leave"}).status_code == 302
