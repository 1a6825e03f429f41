"""Signing in: a password and a second factor for everyone, lockout after repeated failures, strong passwords,
and a session that ends after inactivity unless the user chooses to stay."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from evolve.accounts.models import User
from tests.factories import backup_code, totp_device

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def _password(client: Client, user: User, password: str = PASSWORD, next_url: str = "") -> str:
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": password, "next": next_url}
    )
    return response["Location"] if response.status_code == 302 else ""


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def test_every_page_needs_signing_in(client: Client) -> None:
    response = client.get("/children/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fchildren%2F"


def test_a_password_alone_does_not_reach_any_page(client: Client, social_worker: User) -> None:
    totp_device(social_worker)
    assert _password(client, social_worker).startswith(reverse("accounts:two-factor"))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two-factor"))


def test_password_and_authenticator_code_sign_in_and_return_to_the_page_asked_for(
    client: Client, social_worker: User
) -> None:
    device = totp_device(social_worker)
    step = _password(client, social_worker, next_url="/children/")
    response = client.post(step, {"code": _code(device), "next": "/children/"})
    assert response.status_code == 302
    assert response["Location"] == "/children/"
    home = client.get("/")
    assert home.status_code == 200
    page = home.content.decode()
    assert social_worker.agency is not None
    assert escape(social_worker.display_name) in page and escape(social_worker.agency.name) in page


def test_a_wrong_code_is_refused_with_a_message(client: Client, social_worker: User) -> None:
    totp_device(social_worker)
    step = _password(client, social_worker)
    response = client.post(step, {"code": "000000"})
    assert response.status_code == 200
    assert "The security code is not right" in response.content.decode()
    assert client.get("/").status_code == 302


def test_a_backup_code_works_once(client: Client, social_worker: User) -> None:
    code = backup_code(social_worker, "98765432")
    client.post(_password(client, social_worker), {"code": code})
    assert client.get("/").status_code == 200
    client.post(reverse("accounts:logout"))
    response = client.post(_password(client, social_worker), {"code": code})
    assert "has been used" in response.content.decode()


def test_a_new_user_sets_up_an_authenticator_before_anything_else(client: Client, social_worker: User) -> None:
    step = _password(client, social_worker)
    assert step.startswith(reverse("accounts:two-factor-setup"))
    setup = client.get(step).content.decode()
    assert "<svg" in setup and 'data-testid="totp-secret"' in setup
    device = TOTPDevice.objects.get(user=social_worker, confirmed=False)
    response = client.post(step, {"code": _code(device)})
    assert response.status_code == 200
    assert 'data-testid="backup-codes"' in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200


def test_wrong_passwords_lock_the_account_after_five_tries(client: Client, social_worker: User, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    for _ in range(4):
        response = client.post(reverse("accounts:login"), {"username": social_worker.username, "password": "nope"})
        assert "Enter a correct username and password" in response.content.decode()
    locked = client.post(reverse("accounts:login"), {"username": social_worker.username, "password": "nope"})
    assert locked.status_code == 429
    assert 'data-testid="locked-out"' in locked.content.decode()
    # Even the right password is refused while locked.
    again = client.post(reverse("accounts:login"), {"username": social_worker.username, "password": PASSWORD})
    assert again.status_code == 429


def test_a_wrong_username_gets_the_same_message_as_a_wrong_password(client: Client) -> None:
    response = client.post(reverse("accounts:login"), {"username": "nobody", "password": "whatever"})
    assert "Enter a correct username and password" in response.content.decode()


@pytest.mark.parametrize("weak", ["short1!", "password123456", "123456789012", "evolveuser1234"])
def test_weak_passwords_are_refused(weak: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(weak, User(username="evolveuser1234"))


def test_a_strong_password_is_accepted() -> None:
    validate_password("heather-lantern-quarry-42", User(username="someone"))


def test_keep_alive_extends_the_session_for_a_signed_in_user(sign_in, social_worker: User) -> None:
    client = sign_in(social_worker)
    response = client.post(reverse("accounts:keep-alive"))
    assert response.status_code == 204
    assert client.get("/").status_code == 200


def test_a_session_ends_after_inactivity(sign_in, social_worker: User, settings) -> None:
    client = sign_in(social_worker)
    session = client.session
    session.set_expiry(-1)  # as if the idle period had passed
    session.save()
    response = client.get("/children/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_pages_carry_the_timeout_settings_for_the_warning(sign_in, social_worker: User, settings) -> None:
    settings.SESSION_COOKIE_AGE = 1200
    settings.SESSION_TIMEOUT_WARNING_SECONDS = 120
    page = sign_in(social_worker).get("/").content.decode()
    assert 'data-session-timeout="1200"' in page
    assert 'data-session-warning="120"' in page
    assert 'id="app-timeout-dialog"' in page


def test_signing_out_needs_a_post_and_ends_the_session(sign_in, social_worker: User) -> None:
    client = sign_in(social_worker)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert client.get("/").status_code == 302


def test_an_open_redirect_through_next_is_refused(client: Client, social_worker: User) -> None:
    device = totp_device(social_worker)
    step = _password(client, social_worker, next_url="https://attacker.example/")
    response = client.post(step, {"code": _code(device), "next": "https://attacker.example/"})
    assert response["Location"] == "/"


def test_the_timeout_signs_out_only_by_post_and_offers_the_way_back(sign_in, social_worker: User) -> None:
    client = sign_in(social_worker)
    url = reverse("accounts:signed-out")
    # A link (GET) cannot sign anyone out: a signed-in user is sent back to where they were.
    assert client.get(url, {"next": "/children/"})["Location"] == "/children/"
    assert client.get("/").status_code == 200
    response = client.post(f"{url}?next=/children/new/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "You have been signed out" in page
    assert "/accounts/login/?next=/children/new/" in page
    assert client.get("/").status_code == 302


def test_changing_your_password_applies_the_password_rules(sign_in, social_worker: User) -> None:
    client = sign_in(social_worker)
    url = reverse("accounts:password-change")
    weak = client.post(url, {"old_password": PASSWORD, "new_password1": "password123", "new_password2": "password123"})
    assert weak.status_code == 200
    assert "There is a problem" in weak.content.decode()
    social_worker.refresh_from_db()
    assert social_worker.check_password(PASSWORD)
    strong = "heather-lantern-quarry-42"
    done = client.post(url, {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong})
    assert done.status_code == 302
    social_worker.refresh_from_db()
    assert social_worker.check_password(strong)
    assert client.get("/").status_code == 200, "changing the password keeps this session signed in"
