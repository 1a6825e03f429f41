"""The session timeout warning (WCAG 2.2.1 Timing Adjustable), with the session shortened to seconds. The live
server runs in this process, so the `settings` fixture reaches the pages it renders and the sessions it keeps."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from evolve.accounts.models import User
from tests.browser.conftest import enter_code, enter_password, sign_in
from tests.factories import backup_code


@pytest.mark.browser
def test_warning_before_sign_out_and_staying_signed_in(page: Page, team_member: User, settings, assert_accessible):
    settings.SESSION_COOKIE_AGE = 8
    settings.SESSION_TIMEOUT_WARNING_SECONDS = 6  # so the warning opens 2 seconds after a page loads
    sign_in(page, team_member)

    page.goto("/children/new/")
    loaded_at = time.monotonic()
    dialog = page.get_by_role("dialog", name="You're about to be signed out")
    expect(dialog).to_be_hidden()  # not straight away: only near the end
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("we will sign you out in")
    expect(dialog).to_contain_text("What you have typed on this page will be kept")
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    assert_accessible(page, "the add a child page with the timeout warning open")

    page.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()

    # Past the time the session would have ended without "Stay signed in", the user is still signed in.
    time.sleep(max(0.0, loaded_at + settings.SESSION_COOKIE_AGE + 0.5 - time.monotonic()))
    page.reload()
    expect(page).to_have_url(re.compile(r"/children/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a child")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("Amira Okafor")


@pytest.mark.browser
def test_what_was_typed_comes_back_after_signing_in_again(page: Page, team_member: User, settings, assert_accessible):
    settings.SESSION_COOKIE_AGE = 6
    settings.SESSION_TIMEOUT_WARNING_SECONDS = 3  # time to type before the warning opens
    sign_in(page, team_member)

    page.goto("/children/new/")
    page.fill("#id_first_name", "Tia-Rose")
    page.fill("#id_date_of_birth_2", "2012")
    page.get_by_label("Girl", exact=True).check()

    # Nobody presses "Stay signed in": the page signs them out and says what happened.
    expect(page).to_have_url(re.compile(r"/accounts/signed-out/\?next=%2Fchildren%2Fnew%2F$"), timeout=15_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("You have been signed out")
    assert_accessible(page, "the signed-out page")
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)

    # Sign in again (a backup code: the authenticator's code for this 30 seconds has been used).
    page.get_by_role("link", name="Sign in again").click()
    enter_password(page, team_member, path="")
    enter_code(page, backup_code(team_member))

    expect(page).to_have_url(re.compile(r"/children/new/$"))
    banner = page.locator("#app-draft-restored")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("We put back what you had typed before you were signed out")
    expect(page.locator("#id_first_name")).to_have_value("Tia-Rose")
    expect(page.locator("#id_date_of_birth_2")).to_have_value("2012")
    expect(page.get_by_label("Girl", exact=True)).to_be_checked()
    expect(page.locator("#id_last_name")).to_have_value("")
