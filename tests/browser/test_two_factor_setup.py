"""The first sign-in: someone without an authenticator app sets one up, gets backup codes, and can use them."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from evolve.accounts.models import User
from evolve.accounts.roles import Role
from tests.browser.conftest import enter_password


@pytest.mark.browser
def test_first_sign_in_sets_up_the_authenticator_and_shows_backup_codes(page: Page, make_user, assert_accessible):
    user: User = make_user(Role.TEAM_MANAGER, in_team=True, username="new.manager", first_name="Priya")

    enter_password(page, user)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_accessible(page, "the authenticator set-up page")

    # What the phone app does with the key shown under the QR code.
    secret = page.get_by_test_id("totp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})*", secret), f"The key is not grouped base32: {secret!r}"
    key = base64.b32decode("".join(secret.split()))
    page.fill("#id_code", f"{totp(key, step=30, t0=0, digits=6):06d}")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your backup codes")
    codes_list = page.get_by_test_id("backup-codes").locator("li")
    expect(codes_list).to_have_count(10)
    codes = [code.strip() for code in codes_list.all_inner_texts()]
    assert all(re.fullmatch(r"\d{8}", code) for code in codes), codes
    assert len(set(codes)) == len(codes), "A backup code is shown twice"
    assert_accessible(page, "the backup codes page")

    page.get_by_role("link", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Priya")

    # Next time they are asked for a code, not to set up again, and a backup code they were shown signs them in.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Evolve")
    enter_password(page, user, path="")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/\?next="))
    page.fill("#id_code", codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Priya")
