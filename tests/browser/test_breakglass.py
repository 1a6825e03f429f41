"""Break-glass in the browser: a practitioner opens a police-restricted record in an emergency, and the detective
sergeant reviews the opening; every page scanned with axe."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from tests.factories import ChildFactory, totp_device


@pytest.mark.browser
def test_a_practitioner_breaks_glass_and_the_detective_sergeant_reviews_it(
    page_for: Callable[[User], Page],
    team_member: User,
    evolve_team: Team,
    police: Agency,
    make_user: Callable[..., User],
    assert_accessible: Callable[[Page, str], None],
) -> None:
    child = ChildFactory.create(
        first_name="Ruby", last_name="Westerholme", open_to_team=evolve_team, restricted_to_agency=police
    )
    sergeant = make_user(Role.DETECTIVE_SERGEANT, agency=police, in_team=True, username="ds", first_name="Dee")
    totp_device(sergeant)

    page = page_for(team_member)
    page.goto(f"/children/{child.public_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This record is restricted")
    assert_accessible(page, "a restricted record's page")
    page.get_by_role("link", name="Open this record in an emergency").click()
    page.get_by_role("button", name="Open the record").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("in at least 20 characters")
    assert_accessible(page, "the emergency opening refused")
    page.get_by_label("Why you need to open this record now").fill(
        "She is missing tonight and the police say she may be with the man in the intelligence."
    )
    page.get_by_label("I understand this is logged").check()
    page.get_by_role("button", name="Open the record").click()
    expect(page.get_by_test_id("emergency-banner")).to_contain_text("Opened in an emergency until")
    expect(page.get_by_test_id("child-name")).to_have_text("Ruby Westerholme")
    assert_accessible(page, "a record opened in an emergency")

    review = page_for(sergeant)
    review.goto("/children/emergency-reviews/")
    assert_accessible(review, "the emergency openings to review")
    review.get_by_role("link", name="Review the opening by").click()
    expect(review.get_by_test_id("reason")).to_contain_text("She is missing tonight")
    assert_accessible(review, "an emergency opening to review")
    review.get_by_label("Appropriate: the emergency justified opening the record").check()
    review.get_by_role("button", name="Record the review").click()
    expect(review.get_by_test_id("breakglass-reviews")).to_contain_text("Appropriate")
    assert_accessible(review, "the reviews after recording one")
