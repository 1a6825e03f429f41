"""Issue 8's data protection journeys in a browser: the team manager makes a child's subject access export and
downloads it, decides a retention review, and places and lifts a legal hold. Every page is scanned with axe-core.

The browser fixtures are the browser package's, with Chromium scoped to this module (so Playwright's event loop stops
before the rest of this package uses the ORM)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect, sync_playwright

from dataprotection.models import LegalHold, RetentionDecision, RetentionReview, SubjectAccessExport
from evolve import celery_app
from evolve.accounts.models import Team, User
from evolve.accounts.roles import Role
from evolve.cases.models import Case
from tests.browser.conftest import CHROMIUM_ARGS, assert_accessible, axe
from tests.browser.referral_fixtures import page_for
from tests.dataprotection.conftest import born
from tests.factories import ChildFactory, totp_device

__all__ = ["assert_accessible", "axe", "page_for"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test arranges data with the ORM beside Playwright's loop
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """The export's task runs as soon as the request commits, in the live server's thread."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.mark.browser
def test_the_manager_exports_a_child_decides_a_review_and_holds_the_records(
    page_for: Callable[[User], Page],
    transactional_db: None,
    eager_tasks: None,
    team: Team,
    make_user: Callable[..., User],
    assert_accessible: Callable[[Page, str], None],
    settings: object,
    tmp_path: object,
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    manager = make_user(Role.TEAM_MANAGER, in_team=True, username="manager", first_name="Tess", last_name="Hall")
    totp_device(manager)
    child = ChildFactory.create(
        first_name="Olive", last_name="Oldcase", date_of_birth=born(80), open_to_team=team, created_by=manager
    )
    Case.objects.create(child=child, team=team, opened_at=timezone.now() - timedelta(days=3000), opened_by=manager)
    RetentionReview.objects.create(child=child, rule="social_care_case", due_on=born(5))

    page = page_for(manager)
    page.goto(f"/data-protection/children/{child.public_id}/export/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Everything held about Olive Oldcase")
    assert_accessible(page, "the subject access export page")
    page.get_by_label("Your reference for the request (optional)").fill("SAR-17")
    page.get_by_role("button", name="Make the export").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("being made")
    expect(page.get_by_role("link", name=re.compile("PDF to read"))).to_be_visible()
    assert_accessible(page, "a subject access export")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("JSON file for a computer")).click()
    assert download.value.suggested_filename.startswith("subject-access-export-")
    assert SubjectAccessExport.objects.get(child=child).reference == "SAR-17"

    page.goto("/data-protection/retention/")
    assert_accessible(page, "the retention review list")
    page.get_by_role("link", name=re.compile("Decide")).click()
    assert_accessible(page, "a retention review")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select whether to retain or destroy the records")
    assert_accessible(page, "a retention review with errors")
    page.get_by_label("Retain them for longer").check()
    page.get_by_label("If retaining: for how many more years?").fill("5")
    page.get_by_label("Reason for the decision").fill("A civil claim is expected.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("The retention decision is recorded")
    expect(page.get_by_text("No reviews are waiting.")).to_be_visible()
    assert RetentionDecision.objects.get(child=child).retain_years == 5

    page.goto(f"/data-protection/children/{child.public_id}/holds/")
    assert_accessible(page, "a child's legal holds")
    page.get_by_label("Inquiry, review or proceedings").fill("Independent inquiry")
    page.get_by_label("Reason for the hold").fill("The inquiry asked for the file.")
    page.get_by_role("button", name="Place the hold").click()
    expect(page.get_by_test_id("holds")).to_contain_text("In force")
    page.get_by_role("link", name=re.compile("^Lift")).click()
    assert_accessible(page, "lifting a legal hold")
    page.get_by_label("Reason for lifting the hold").fill("The inquiry has reported.")
    page.get_by_role("button", name="Lift the hold").click()
    expect(page.get_by_test_id("holds")).to_contain_text("Lifted")
    assert LegalHold.objects.get(child=child).lift_reason == "The inquiry has reported."
