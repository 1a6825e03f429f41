"""The other pages a manager uses on a child's record: change details (including the conflict message), who has
seen the record and giving access, changing a password, and the not-found page. Each is scanned with axe."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from evolve.accounts.models import User
from evolve.accounts.roles import Role
from evolve.people.services import child_update
from tests.browser.conftest import sign_in
from tests.factories import ChildFactory, totp_device


@pytest.mark.browser
def test_a_managers_record_pages_are_accessible(
    page: Page, transactional_db: None, make_user: Callable[..., User], assert_accessible
):
    manager = make_user(Role.TEAM_MANAGER, in_team=True, username="tessa", first_name="Tessa", last_name="Manley")
    totp_device(manager)
    child = ChildFactory.create(first_name="Isla", last_name="Garside", open_to_team=manager.team)
    sign_in(page, manager)

    page.goto(f"/children/{child.public_id}/change/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change Isla Garside's details")
    assert_accessible(page, "the change details page")
    # Someone else saves first: the second save is refused, their change shown, this user's text kept.
    child_update(child=child, by=manager, based_on_version=1, changes={"school": "Hillcrest School"})
    page.fill("#id_school", "Valley College")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Someone else changed this record")
    expect(page.get_by_test_id("conflict")).to_contain_text("Hillcrest School")
    expect(page.locator("#id_school")).to_have_value("Valley College")
    assert_accessible(page, "the change details page with a conflict")

    page.goto(f"/children/{child.public_id}/access-report/")
    page.get_by_text("Give someone access").click()
    page.get_by_role("button", name="Give access").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the username of the person")
    assert_accessible(page, "who has seen the record, with the grant form refused")

    page.get_by_role("link", name="Change your password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")
    assert_accessible(page, "the change password page")

    page.goto("/children/00000000-0000-0000-0000-000000000000/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page, "the not-found page")
