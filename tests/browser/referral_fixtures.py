"""Fixtures for the referral pathway in the browser: a published screening catalogue (the live server's tables are
emptied between tests, so the one the data migration seeds is gone), the front door with one person per step (each
with an authenticator app), email sent at once by the notification task, and a page per person, each in a browser
context of its own so that nobody's cookies leak into anyone else's session.

Import the fixtures by name into a test module (`from tests.browser.referral_fixtures import catalogue, ...`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.db.models import Max
from playwright.sync_api import Browser, Page

from evolve import celery_app
from evolve.accounts.models import Agency, User
from evolve.accounts.roles import Role
from risk.models import CatalogueVersion, Indicator
from risk.services import catalogue_publish, indicator_add, indicator_category_add
from tests.browser.conftest import sign_in
from tests.factories import totp_device

INDICATORS = [
    ("missing-episodes", "Goes missing from home or school"),
    ("older-associates", "Has older boyfriends, girlfriends or friends"),
    ("unexplained-gifts", "Has money, phones or clothes that cannot be explained"),
]


@pytest.fixture
def catalogue(transactional_db: None) -> list[Indicator]:
    """A screening catalogue, published and current: one heading and three indicators, in order. Numbered after any
    version already there (the seeded one survives until the first transactional test has emptied the tables)."""
    number = (CatalogueVersion.objects.aggregate(highest=Max("number"))["highest"] or 0) + 1
    version = CatalogueVersion.objects.create(number=number, name="Screening tool for the browser tests")
    category = indicator_category_add(version=version, code="missing", name="Missing, friends and gifts")
    indicators = [
        indicator_add(category=category, code=code, text=text, guidance="", is_high_risk=False, applies_to="both")
        for code, text in INDICATORS
    ]
    catalogue_publish(version=version)
    return indicators


@pytest.fixture
def teacher(transactional_db: None, make_user: Callable[..., User], school: Agency) -> User:
    """A teacher at a school, who may make referrals and nothing else, with an authenticator app."""
    user = make_user(
        Role.REFERRER,
        agency=school,
        username="teacher",
        first_name="Tess",
        last_name="Marlowe",
        email="teacher@school.invalid",
    )
    totp_device(user)
    return user


@pytest.fixture
def front_door(teacher: User, make_user: Callable[..., User], police: Agency) -> dict[str, User]:
    """The teacher, one person for each step at the front door, and the Evolve team's manager and detective sergeant
    (the two told of a co-allocation). Everyone has an authenticator app."""
    people = {
        "teacher": teacher,
        "spoc": make_user(Role.SPOC_WORKER, username="spoc", first_name="Sam", last_name="Pocock"),
        "triage": make_user(Role.TRIAGE_WORKER, username="triage", first_name="Tariq", last_name="Ahmed"),
        "triage_manager": make_user(
            Role.TRIAGE_MANAGER, username="triage-manager", first_name="Tamsin", last_name="Reid"
        ),
        "mash_police": make_user(
            Role.MASH_WORKER, agency=police, username="mash-police", first_name="Mo", last_name="Khan"
        ),
        "mash": make_user(Role.MASH_WORKER, username="mash", first_name="Maya", last_name="Shah"),
        "tm": make_user(
            Role.TEAM_MANAGER,
            in_team=True,
            username="tm",
            first_name="Tom",
            last_name="Mercer",
            email="tm@evolve.invalid",
        ),
        "ds": make_user(
            Role.DETECTIVE_SERGEANT,
            agency=police,
            in_team=True,
            username="ds",
            first_name="Dana",
            last_name="Sykes",
            email="ds@evolve.invalid",
        ),
    }
    for name, user in people.items():
        if name != "teacher":
            totp_device(user)
    return people


@pytest.fixture
def eager_email() -> Iterator[list[Any]]:
    """The notification email task runs as soon as it is queued, in the live server's thread (the same process as
    the test), so what it sends lands in the locmem outbox the test reads. Yields the outbox."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    mail.outbox = []
    yield mail.outbox
    celery_app.conf.task_always_eager = previous


def watch_for_problems(page: Page, problems: list[str]) -> None:
    """The same rule as the `page` fixture: a script error, or a console error other than a page answered with an
    error status on purpose (a refused form), is a problem."""
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def on_console(message: Any) -> None:
        refused_document = (
            message.text.startswith("Failed to load resource") and message.location.get("url") == page.url
        )
        if message.type == "error" and not refused_document:
            problems.append(f"console error on {page.url}: {message.text}")

    page.on("console", on_console)


@pytest.fixture
def page_for(browser: Browser, live_server: Any) -> Iterator[Callable[[User], Page]]:
    """`page_for(user)`: a new browser context (so a separate session), signed in as the user with their current
    authenticator code. Every context is closed at the end, and any script or console error in any of them fails
    the test."""
    contexts = []
    problems: list[str] = []

    def open_signed_in(user: User) -> Page:
        context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        watch_for_problems(page, problems)
        sign_in(page, user)
        return page

    yield open_signed_in
    for context in contexts:
        context.close()
    assert not problems, "The browser reported problems:\n" + "\n".join(problems)
