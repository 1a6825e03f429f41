"""The main journey, as a team member sees it: sign in with a password and an authenticator code, add a child, be
offered the record the team already holds under another spelling, and add a genuinely new one. Every page on the
way is scanned with axe-core."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from evolve.accounts.models import Team, User
from evolve.people.models import Child
from tests.browser.conftest import current_totp, enter_password
from tests.factories import ChildFactory


def fill_child(page: Page, *, first_name: str, last_name: str, born: date) -> None:
    page.fill("#id_first_name", first_name)
    page.fill("#id_last_name", last_name)
    page.fill("#id_date_of_birth_0", str(born.day))
    page.fill("#id_date_of_birth_1", str(born.month))
    page.fill("#id_date_of_birth_2", str(born.year))


@pytest.mark.browser
def test_team_member_signs_in_is_offered_a_known_child_and_adds_a_new_one(
    page: Page, team_member: User, evolve_team: Team, assert_accessible
):
    known = ChildFactory.create(
        first_name="Jayden",
        last_name="Smith",
        date_of_birth=date(2011, 3, 14),
        open_to_team=evolve_team,
        created_by=team_member,
    )

    # Sign in: the page is styled (the stylesheet is served) and its script runs.
    page.goto("/accounts/login/")
    expect(page).to_have_title("Sign in - Evolve")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Evolve")
    stylesheet = page.request.get("/static/css/application.css")
    assert stylesheet.status == 200, f"The stylesheet did not load: HTTP {stylesheet.status}"
    assert "text/css" in stylesheet.headers["content-type"]
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    assert_accessible(page, "the sign-in page")

    enter_password(page, team_member, path="")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Security code")
    assert_accessible(page, "the security code page")
    page.fill("#id_code", current_totp(team_member))
    page.get_by_role("button", name="Continue").click()

    # Home: who they are and where they work, in the page and in the header.
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Amira")
    signed_in_as = page.get_by_test_id("signed-in-as")
    expect(signed_in_as).to_contain_text("Amira Okafor")
    expect(signed_in_as).to_contain_text("Children's Services")
    expect(page.get_by_role("link", name="1 child's record")).to_be_visible()
    assert_accessible(page, "the home page")

    # The form to add a child.
    page.get_by_role("link", name="Add a child").click()
    expect(page).to_have_url(re.compile(r"/children/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a child")
    assert_accessible(page, "the add a child page")

    # Nothing typed: an error summary, focused, linking to each field, and the errors by the fields.
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title("Add a child (error) - Evolve")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(["Enter the child's first name", "Enter the child's last name"])
    expect(page.locator("#id_first_name-error")).to_have_text("Error: Enter the child's first name")
    expect(page.locator("#id_last_name-error")).to_have_text("Error: Enter the child's last name")
    expect(page.locator("#id_first_name")).to_have_attribute("aria-describedby", "id_first_name-error")
    assert_accessible(page, "the add a child page with errors")
    summary.get_by_role("link", name="Enter the child's first name").click()
    expect(page.locator("#id_first_name")).to_be_focused()

    # The same child under a slightly different spelling, same date of birth: the existing record is offered.
    fill_child(page, first_name="Jaden", last_name="Smyth", born=date(2011, 3, 14))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Is this child already known?")
    candidates = page.get_by_test_id("duplicate-candidates")
    expect(candidates).to_contain_text("We found 1 record with a similar name and date of birth")
    expect(candidates).to_contain_text("Born 14 March 2011")
    expect(candidates.get_by_role("link")).to_have_text(["Jayden Smith"])
    expect(page.get_by_role("button", name="Add as a new child")).to_be_visible()
    expect(page.locator("#id_first_name")).to_have_value("Jaden")  # what they typed is kept
    assert_accessible(page, "the possible duplicates page")
    assert Child.objects.count() == 1, "Nothing is added until the user has seen the possible matches"

    # Following the link opens the existing record.
    candidates.get_by_role("link", name="Jayden Smith").click()
    expect(page).to_have_url(re.compile(rf"/children/{known.public_id}/$"))
    expect(page.get_by_test_id("child-name")).to_have_text("Jayden Smith")
    expect(page.get_by_text("Open to Evolve")).to_be_visible()
    assert_accessible(page, "the existing child's page")

    # Back to the offer: this is a different child after all, so add a new record.
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Is this child already known?")
    page.get_by_role("button", name="Add as a new child").click()
    expect(page).to_have_url(re.compile(r"/children/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("alert")).to_contain_text("Child added")
    expect(page.get_by_test_id("child-name")).to_have_text("Jaden Smyth")
    expect(page.get_by_text("14 March 2011")).to_be_visible()
    assert_accessible(page, "the new child's page")
    new_child = Child.objects.get(first_name="Jaden")
    assert new_child.open_to_team_id == evolve_team.pk, "A team member's new child is open to their team"

    # The list shows both records, open to the team.
    page.get_by_role("link", name="Children", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Children")
    table = page.get_by_test_id("child-table")
    expect(table.locator("caption")).to_have_text("2 children")
    expect(table.get_by_role("link")).to_have_text(["Jayden Smith", "Jaden Smyth"])
    expect(table.get_by_text("Open to Evolve")).to_have_count(2)
    assert_accessible(page, "the list of children")

    # A search with neither spelling exactly right still finds both.
    page.fill("#q", "jaiden smyth")
    page.get_by_role("button", name="Search").click()
    expect(table.locator("caption")).to_have_text('2 matches for "jaiden smyth"')
    assert_accessible(page, "the search results")

    # The accessibility statement, from the footer.
    page.get_by_role("link", name="Accessibility statement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement for Evolve")
    assert_accessible(page, "the accessibility statement")
