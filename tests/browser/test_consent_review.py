"""The Head of Service's queue of referrals made without consent, and the review itself, scanned with axe."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from evolve.accounts.models import User
from evolve.accounts.roles import Role
from referrals.services import referral_draft_create, referral_draft_save, referral_submit
from risk.models import Indicator
from tests.browser.conftest import sign_in
from tests.factories import totp_device


@pytest.mark.browser
def test_the_head_of_service_reviews_a_referral_made_without_consent(
    page: Page, catalogue: list[Indicator], teacher: User, make_user: Callable[..., User], assert_accessible
):
    referral = referral_draft_create(by=teacher)
    referral = referral_draft_save(
        referral=referral,
        by=teacher,
        based_on_version=referral.version,
        fields={
            "child_first_name": "Ruby",
            "child_last_name": "Oakes",
            "concern": "Picked up from school by unknown adults in different cars.",
            "urgency": "routine",
            "consent": "dispensed_with",
            "consent_reason": "Telling the family would put her at risk.",
        },
        indicator_ids=[],
    )
    referral_submit(referral=referral, by=teacher, based_on_version=referral.version)
    head = make_user(Role.HEAD_OF_SERVICE, username="hos", first_name="Hal", last_name="Service")
    totp_device(head)
    sign_in(page, head)
    page.get_by_role("link", name="Referrals made without consent, to review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals made without consent, to review")
    assert_accessible(page, "the consent review queue")
    page.get_by_role("link", name="Ruby Oakes").click()
    page.get_by_role("button", name="Record review").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Record the reasons for your review")
    assert_accessible(page, "the consent review refused")
    page.get_by_label("Yes, I agree with the decision").check()
    page.get_by_label("Reasons").fill("The risk at home outweighs telling the family now.")
    page.get_by_role("button", name="Record review").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Head of Service agreed with dispensing with consent")
    assert_accessible(page, "the referral after the review")
