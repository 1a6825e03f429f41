"""Browser fixtures: one Chromium for the session, a fresh context (cookies, storage) and page for each test, and
helpers to sign in for real (password, then a TOTP code or a backup code) and to scan pages with axe-core."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect, sync_playwright

from evolve.accounts.models import Team, User
from evolve.accounts.roles import Role
from tests.factories import totp_device

PASSWORD = "correct-horse-battery-staple"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Only these fail a test; "moderate" and "minor" findings are for people to review.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})

expect.set_options(timeout=10_000)


@pytest.fixture(scope="package", autouse=True)
def allow_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM calls from a thread
    with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set. The tests use the ORM to arrange data, so it is set
    here, and only while this package runs: set for the whole session it would leak into the rest of the suite
    (`manage.py check --deploy` in a subprocess rejects it, async.E001)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(allow_orm_beside_playwright: None) -> Iterator[Browser]:
    """One Chromium for all the browser tests. Scoped to this package (the only place browser tests live) rather
    than the session, so Playwright's event loop stops before the rest of the suite uses the ORM."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    """A page in a context of its own, so no cookie or sessionStorage leaks from one test to the next.

    A script error or a console error (such as a Content-Security-Policy refusal) anywhere in the test is an error
    of the test: the pages are meant to run without any."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def on_console(message: Any) -> None:
        # A page answered with a 400 or 404 on purpose (a refused form, a missing record) is logged by Chromium as
        # a failed load of the document itself; only failures of anything else are problems.
        refused_document = (
            message.text.startswith("Failed to load resource") and message.location.get("url") == page.url
        )
        if message.type == "error" and not refused_document:
            problems.append(f"console error on {page.url}: {message.text}")

    page.on("console", on_console)
    yield page
    context.close()
    assert not problems, "The browser reported problems:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


def serious_violations(results: Any) -> list[dict[str, Any]]:
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(str(part) for part in node["target"]) for node in violation["nodes"])
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
    return "\n".join(lines)


@pytest.fixture
def assert_accessible(axe: Axe) -> Callable[[Page, str], None]:
    """Scan the page as it is now; fail on any serious or critical axe-core violation, naming rule and elements."""

    def check(page: Page, what: str) -> None:
        violations = serious_violations(axe.run(page))
        assert not violations, f"axe found serious or critical problems on {what} ({page.url}):\n" + (
            describe_violations(violations)
        )

    return check


@pytest.fixture
def team_member(transactional_db: None, make_user: Callable[..., User]) -> User:
    """An Evolve practitioner from Children's Services, with an authenticator app already set up."""
    user = make_user(Role.PRACTITIONER, in_team=True, username="amira", first_name="Amira", last_name="Okafor")
    totp_device(user)
    return user


@pytest.fixture
def evolve_team(team_member: User) -> Team:
    assert team_member.team is not None
    return team_member.team


def current_totp(user: User) -> str:
    """The code the user's authenticator app shows now. A code is accepted once per 30-second step, so a later
    sign-in in the same step should use a backup code instead."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def enter_password(page: Page, user: User, *, path: str = "/accounts/login/") -> None:
    if path:
        page.goto(path)
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Continue").click()


def enter_code(page: Page, code: str) -> None:
    expect(page).to_have_url(_path_re("/accounts/two-factor/"))
    page.fill("#id_code", code)
    page.get_by_role("button", name="Continue").click()


def sign_in(page: Page, user: User, *, code: str | None = None, path: str = "/accounts/login/") -> None:
    """Password, then the second factor (the current TOTP code unless `code` is given). Ends wherever the sign-in
    pages send the user (the home page, or the page in ?next=)."""
    enter_password(page, user, path=path)
    enter_code(page, code or current_totp(user))
    expect(page).not_to_have_url(_path_re("/accounts/"))


def _path_re(path: str) -> re.Pattern[str]:
    return re.compile(rf"^[^?#]*{re.escape(path)}")


# The referral pathway's fixtures, shared by every browser test in this package. Imported last: they use the
# helpers above.
from tests.browser.referral_fixtures import catalogue, eager_email, front_door, page_for, teacher  # noqa: E402

__all__ = ["catalogue", "eager_email", "front_door", "page_for", "teacher"]
