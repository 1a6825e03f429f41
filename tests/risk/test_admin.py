"""An administrator looks after the catalogue in the admin: reads every version, makes a draft, publishes it. A
published version is read-only there as everywhere else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from evolve.accounts.models import User
from evolve.accounts.roles import Role
from risk.models import CatalogueVersion, Indicator, IndicatorCategory
from risk.selectors import catalogue_current
from risk.services import catalogue_draft_from
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:risk_catalogueversion_changelist"


@pytest.fixture
def admin_client(client: Client, make_user: Callable[..., User]) -> Client:
    administrator = make_user(
        Role.ADMINISTRATOR, username="admin", first_name="Ada", last_name="Minister", is_staff=True, is_superuser=True
    )
    return signed_in(client, administrator)


def test_the_administrator_sees_every_version_and_its_indicators(admin_client: Client) -> None:
    version = catalogue_current()

    listing = admin_client.get(reverse(CHANGELIST))
    detail = admin_client.get(reverse("admin:risk_catalogueversion_change", args=[version.pk]))

    assert listing.status_code == 200
    assert "Evolve default CSE and CCE screening tool" in listing.text
    assert detail.status_code == 200
    assert "Missing and absence" in detail.text
    assert "Has gone missing three or more times in the last three months" in detail.text
    assert 'name="_save"' not in detail.text  # read-only: nothing to save


def test_a_published_version_cannot_be_changed_or_deleted_in_the_admin(admin_client: Client) -> None:
    version = catalogue_current()
    indicator = Indicator.objects.filter(category__version=version).first()
    assert indicator is not None

    change = admin_client.post(
        reverse("admin:risk_catalogueversion_change", args=[version.pk]), {"name": "Renamed", "notes": ""}
    )
    delete = admin_client.post(reverse("admin:risk_catalogueversion_delete", args=[version.pk]), {"post": "yes"})
    reword = admin_client.post(
        reverse("admin:risk_indicator_change", args=[indicator.pk]),
        {
            "category": indicator.category_id,
            "code": indicator.code,
            "text": "Reworded",
            "guidance": "",
            "applies_to": "both",
            "order": 1,
        },
    )

    assert (change.status_code, delete.status_code, reword.status_code) == (403, 403, 403)
    version.refresh_from_db()
    indicator.refresh_from_db()
    assert version.name == "Evolve default CSE and CCE screening tool"
    assert indicator.text != "Reworded"


def test_the_administrator_makes_a_draft_changes_it_and_publishes_it(admin_client: Client) -> None:
    first = catalogue_current()

    drafted = admin_client.post(
        reverse(CHANGELIST), {"action": "make_draft", "_selected_action": [first.pk]}, follow=True
    )
    draft = CatalogueVersion.objects.get(number=2)
    category = IndicatorCategory.objects.get(version=draft, code="missing")
    added = admin_client.post(
        reverse("admin:risk_indicator_add"),
        {
            "category": category.pk,
            "code": "missing-from-placement",
            "text": "Goes missing from a placement out of the area",
            "guidance": "Ask the placing authority for the missing records.",
            "is_high_risk": "on",
            "applies_to": "both",
            "order": "",
        },
    )
    published = admin_client.post(
        reverse(CHANGELIST), {"action": "publish", "_selected_action": [draft.pk]}, follow=True
    )

    assert "Version 2 is a new draft copied from version 1" in drafted.text
    assert draft.created_by_name == "Ada Minister"
    assert added.status_code == 302
    new = Indicator.objects.get(category=category, code="missing-from-placement")
    assert new.is_high_risk
    assert new.order == Indicator.objects.filter(category=category).count()  # put last
    assert "Version 2 is published and is now the current catalogue" in published.text
    assert catalogue_current() == draft
    assert not Indicator.objects.filter(category__version=first, code="missing-from-placement").exists()


def test_publishing_again_in_the_admin_says_why_and_changes_nothing(admin_client: Client) -> None:
    first = catalogue_current()
    published_at = first.published_at

    response = admin_client.post(
        reverse(CHANGELIST), {"action": "publish", "_selected_action": [first.pk]}, follow=True
    )

    assert "Version 1 of the screening catalogue was already published" in response.text
    first.refresh_from_db()
    assert first.published_at == published_at


def test_an_indicator_cannot_be_added_to_a_published_version_in_the_admin(admin_client: Client) -> None:
    version = catalogue_current()
    catalogue_draft_from(version=version)
    published_category = IndicatorCategory.objects.get(version=version, code="missing")

    response = admin_client.post(
        reverse("admin:risk_indicator_add"),
        {
            "category": published_category.pk,
            "code": "sneaked-in",
            "text": "Added to a published version",
            "guidance": "",
            "applies_to": "both",
            "order": "",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert "Select a valid choice" in response.text
    assert not Indicator.objects.filter(code="sneaked-in").exists()


def test_a_duplicate_code_in_a_draft_is_shown_on_the_admin_form(admin_client: Client) -> None:
    draft = catalogue_draft_from(version=catalogue_current())
    category = IndicatorCategory.objects.get(version=draft, code="wellbeing")

    response = admin_client.post(
        reverse("admin:risk_indicator_add"),
        {
            "category": category.pk,
            "code": "missing-episodes",
            "text": "A second missing question",
            "guidance": "",
            "applies_to": "both",
            "order": "",
        },
    )

    assert response.status_code == 200
    assert "Version 2 already has an indicator with the code missing-episodes" in response.text


def _form_fields(html: str) -> dict[str, str]:
    """What the admin's change page would post back untouched: every input's value (hidden initials included) and
    every textarea's text."""
    import re
    from html import unescape

    fields = {
        name: unescape(value)
        for name, value in re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', html)
        if not name.startswith("_")
    }
    for name, text in re.findall(r'<textarea[^>]*?name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        fields[name] = unescape(text).lstrip("\n")
    for name, value in re.findall(r'<select[^>]*?name="([^"]+)".*?<option value="([^"]*)"[^>]*selected', html, re.S):
        fields[name] = value
    return fields


def test_two_administrators_changing_one_draft_indicator_cannot_overwrite_each_other(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    draft = catalogue_draft_from(version=catalogue_current(), by_name="Ada Minister")
    indicator = Indicator.objects.filter(category__version=draft).order_by("id").first()
    assert indicator is not None
    url = reverse("admin:risk_indicator_change", args=[indicator.pk])
    colleague = signed_in(Client(), make_user(Role.ADMINISTRATOR, username="admin2", is_staff=True, is_superuser=True))
    mine, theirs = _form_fields(admin_client.get(url).text), _form_fields(colleague.get(url).text)
    assert "initial-text" in mine, "the page carries the values it showed"

    saved = colleague.post(url, {**theirs, "text": "Their wording", "_save": "Save"})
    assert saved.status_code == 302
    refused = admin_client.post(url, {**mine, "text": "My wording", "_save": "Save"})
    assert refused.status_code == 200
    assert "Someone else changed this while you were editing: it now says \u201cTheir wording\u201d" in refused.text
    assert "My wording" in refused.text, "what they typed is kept"
    indicator.refresh_from_db()
    assert indicator.text == "Their wording"

    # A change to another field saves, and leaves their wording alone.
    guidance = admin_client.post(url, {**mine, "guidance": "Ask the school first.", "_save": "Save"})
    assert guidance.status_code == 302
    indicator.refresh_from_db()
    assert (indicator.text, indicator.guidance) == ("Their wording", "Ask the school first.")
    # Saved again from the page that showed their wording, mine goes in.
    again = _form_fields(refused.text)
    assert admin_client.post(url, {**again, "text": "My wording", "_save": "Save"}).status_code == 302
    indicator.refresh_from_db()
    assert indicator.text == "My wording"


def test_a_version_note_changed_meanwhile_is_not_overwritten_by_a_name_change(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    draft = catalogue_draft_from(version=catalogue_current(), by_name="Ada Minister")
    url = reverse("admin:risk_catalogueversion_change", args=[draft.pk])
    mine = _form_fields(admin_client.get(url).text)
    CatalogueVersion.objects.filter(pk=draft.pk).update(notes="Added the county lines indicators.")
    assert admin_client.post(url, {**mine, "name": "Draft for April", "_save": "Save"}).status_code == 302
    draft.refresh_from_db()
    assert (draft.name, draft.notes) == ("Draft for April", "Added the county lines indicators.")


def test_a_stored_text_with_bare_line_breaks_is_not_taken_for_someone_elses_change(admin_client: Client) -> None:
    """A browser sends a text's line breaks back as CRLF; text stored with bare LF is the same text, not a change."""
    draft = catalogue_draft_from(version=catalogue_current(), by_name="Ada Minister")
    indicator = Indicator.objects.filter(category__version=draft).order_by("id").first()
    assert indicator is not None
    Indicator.objects.filter(pk=indicator.pk).update(guidance="Ask the school.\nThen ask the family.")
    url = reverse("admin:risk_indicator_change", args=[indicator.pk])
    shown = _form_fields(admin_client.get(url).text)
    as_sent = {name: value.replace("\n", "\r\n") for name, value in shown.items()}
    saved = admin_client.post(url, {**as_sent, "guidance": "Ask the school first.", "_save": "Save"})
    assert saved.status_code == 302
    indicator.refresh_from_db()
    assert indicator.guidance == "Ask the school first."
