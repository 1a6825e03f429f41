"""Every read and change of a child's data is logged; the log cannot be changed, even by the application."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from evolve.accounts.models import Team, User
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.people.models import Child
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(team: Team) -> Child:
    return ChildFactory.create(first_name="Grace", last_name="Hollingworth", open_to_team=team)


def test_viewing_a_child_page_writes_one_row_with_who_where_and_what(
    sign_in: Callable[[User], Client], social_worker: User, child: Child
) -> None:
    sign_in(social_worker).get(reverse("people:child-detail", args=[child.public_id]))
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.agency, entry.child, entry.action) == (
        social_worker,
        social_worker.agency,
        child,
        AccessAction.VIEWED,
    )
    assert entry.where == "GET people:child-detail"
    assert entry.what == "record"


def test_an_api_read_writes_a_row_naming_the_endpoint(
    sign_in: Callable[[User], Client], social_worker: User, child: Child
) -> None:
    sign_in(social_worker).get(reverse("api-child-detail", args=[child.public_id]))
    entry = AccessLogEntry.objects.get()
    assert entry.action == AccessAction.VIEWED
    assert entry.where == "GET api-child-detail"


def test_a_list_logs_each_child_shown_in_one_insert(
    sign_in: Callable[[User], Client], social_worker: User, team: Team
) -> None:
    ChildFactory.create_batch(5, open_to_team=team)
    client = sign_in(social_worker)
    client.get(reverse("people:child-list"))
    assert AccessLogEntry.objects.filter(action=AccessAction.LISTED).count() == 5


def test_a_change_is_logged_with_the_fields_changed(
    sign_in: Callable[[User], Client], social_worker: User, child: Child
) -> None:
    response = sign_in(social_worker).patch(
        reverse("api-child-detail", args=[child.public_id]),
        {"school": "Hillcrest School", "version": child.version},
        content_type="application/json",
    )
    assert response.status_code == 200
    change = AccessLogEntry.objects.get(action=AccessAction.UPDATED)
    assert change.what == "changed school"
    assert change.where == "PATCH api-child-detail"


def test_a_refused_read_writes_nothing(sign_in: Callable[[User], Client], outsider: User, child: Child) -> None:
    sign_in(outsider).get(reverse("people:child-detail", args=[child.public_id]))
    assert not AccessLogEntry.objects.exists()


def test_update_and_delete_of_the_log_fail_at_the_database(
    sign_in: Callable[[User], Client], social_worker: User, child: Child
) -> None:
    sign_in(social_worker).get(reverse("people:child-detail", args=[child.public_id]))
    entry = AccessLogEntry.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).update(what="nothing to see")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_accesslogentry")
    entry.refresh_from_db()
    assert entry.what == "record"


def test_a_manager_sees_the_access_report_for_a_child(
    sign_in: Callable[[User], Client], team_manager: User, social_worker: User, child: Child
) -> None:
    sign_in(social_worker).get(reverse("people:child-detail", args=[child.public_id]))
    response = sign_in(team_manager).get(reverse("people:child-access-report", args=[child.public_id]))
    assert response.status_code == 200
    page = response.content.decode()
    assert social_worker.display_name in page
    assert "GET people:child-detail" in page
    # Reading the report is itself an access to the child's record.
    assert AccessLogEntry.objects.filter(user=team_manager, what="access report").exists()
