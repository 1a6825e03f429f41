"""The referrals API: the same steps, roles and refusals as the pages, in the OpenAPI schema."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evolve.accounts.models import User
from referrals.models import Referral
from referrals.states import State
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def _step(client: Client, referral: Referral, action: str, **body: object):
    return client.post(
        reverse("api-referral-action", args=[referral.public_id, action]), body, content_type="application/json"
    )


def test_a_referral_is_drafted_saved_and_sent_through_the_api(
    sign_in: Callable[[User], Client], people: dict[str, User]
) -> None:
    client = sign_in(people["teacher"])
    created = client.post(reverse("api-referral-list"))
    assert created.status_code == 201 and created.json()["state"] == "draft"
    referral = Referral.objects.get(public_id=created.json()["id"])
    saved = client.patch(
        reverse("api-referral-detail", args=[referral.public_id]),
        {
            "version": 1,
            "child_first_name": "Ruby",
            "child_last_name": "Shaw",
            "concern": "Older boyfriend.",
            "consent": "given",
            "urgency": "routine",
        },
        content_type="application/json",
    )
    assert saved.status_code == 200 and saved.json()["version"] == 2
    sent = _step(client, referral, "submit", version=2)
    assert sent.status_code == 200
    assert sent.json()["state"] == "submitted"
    assert "events" not in sent.json(), "a referrer sees what they sent and its status, not the workings"


def test_a_step_by_the_wrong_role_is_a_409_and_changes_nothing(
    sign_in: Callable[[User], Client], people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    referral = at_stage("screened")
    response = _step(
        sign_in(people["triage"]),
        referral,
        "send_to_mash",
        version=referral.version,
        threshold="child_protection",
        rag="red",
        rationale="Mine",
    )
    assert response.status_code == 409
    assert "Triage manager" in response.json()["detail"]
    referral.refresh_from_db()
    assert referral.state == State.SCREENED


def test_a_stale_version_is_a_409_with_the_current_referral(
    sign_in: Callable[[User], Client], people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    referral = at_stage("submitted")
    child = ChildFactory.create(first_name="Maisie", last_name="Fenwick")
    response = _step(sign_in(people["spoc"]), referral, "log", version=referral.version - 1, child=str(child.public_id))
    assert response.status_code == 409
    assert response.json()["current"]["state"] == "submitted"


def test_bad_input_is_a_400_and_changes_nothing(
    sign_in: Callable[[User], Client], people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    referral = at_stage("screened")
    client = sign_in(people["triage_manager"])
    no_reason = _step(
        client, referral, "send_to_mash", version=referral.version, threshold="child_protection", rag="red"
    )
    assert no_reason.status_code == 400 and "rationale" in no_reason.json()
    bad_rag = _step(client, referral, "send_to_mash", version=referral.version, rag="purple", rationale="x")
    assert bad_rag.status_code == 400 and "rag" in bad_rag.json()
    referral.refresh_from_db()
    assert referral.state == State.SCREENED


def test_the_list_is_read_newest_first_a_page_at_a_time_without_counting_every_referral(
    sign_in: Callable[[User], Client], people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    sent = [at_stage("submitted") for _ in range(5)]
    client = sign_in(people["spoc"])
    url: str | None = reverse("api-referral-list") + "?limit=2"
    ids: list[str] = []
    pages = 0
    while url:
        with CaptureQueriesContext(connection) as captured:
            body = client.get(url).json()
        assert not [query for query in captured.captured_queries if "COUNT(" in query["sql"].upper()]
        ids += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1

    assert ids == [str(referral.public_id) for referral in reversed(sent)]
    assert pages == 3


def test_the_front_door_lists_submitted_referrals_and_a_referrer_only_their_own(
    sign_in: Callable[[User], Client], people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    submitted = at_stage("submitted")
    at_stage("draft")
    front_door = sign_in(people["spoc"]).get(reverse("api-referral-list")).json()
    assert [row["id"] for row in front_door["results"]] == [str(submitted.public_id)], "drafts stay with their writer"
    mine = sign_in(people["teacher"]).get(reverse("api-referral-list")).json()
    assert len(mine["results"]) == 2
    assert sign_in(people["other_teacher"]).get(reverse("api-referral-list")).json()["results"] == []


def test_the_steps_are_in_the_openapi_schema(sign_in: Callable[[User], Client], people: dict[str, User]) -> None:
    schema = sign_in(people["spoc"]).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/referrals/{public_id}/steps/{action}/" in schema["paths"]
    assert "/api/referrals/" in schema["paths"]
