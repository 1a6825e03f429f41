"""The MARF saves itself as the referrer types (through the API), so closing the tab loses little."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from evolve.accounts.models import Agency, User
from evolve.accounts.roles import Role
from referrals.models import Referral
from risk.models import Indicator
from tests.browser.conftest import sign_in
from tests.factories import totp_device


@pytest.mark.browser
def test_the_marf_saves_as_the_referrer_types(
    page: Page, catalogue: list[Indicator], make_user: Callable[..., User], school: Agency, assert_accessible
):
    teacher = make_user(Role.REFERRER, agency=school, username="teacher", first_name="Rory", last_name="Teacher")
    totp_device(teacher)
    sign_in(page, teacher)
    page.goto("/referrals/new/")
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("What are you worried about?").fill("Seen with older men in a car outside school.")
    page.get_by_label("Goes missing from home or school").check()
    status = page.locator("#app-autosave-status")
    expect(status).to_contain_text("Draft saved at", timeout=10_000)
    referral = Referral.objects.get(referrer=teacher)
    assert referral.concern == "Seen with older men in a car outside school."
    assert [indicator.code for indicator in referral.indicators.all()] == ["missing-episodes"]
    # The page keeps working after an autosave: a normal save uses the version the autosave moved on to.
    page.get_by_label("First name").fill("Ellie")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Draft saved")
    referral.refresh_from_db()
    assert referral.child_first_name == "Ellie"
    assert_accessible(page, "the MARF after saving")
