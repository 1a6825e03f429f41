"""In-app notifications: counted in the navigation, listed newest first, marked read once seen, never another's."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from evolve.accounts.models import User
from evolve.notifications.models import Notification
from evolve.notifications.services import notify

pytestmark = pytest.mark.django_db


def test_new_notifications_are_counted_then_read(
    sign_in: Callable[[User], Client], team_manager: User, social_worker: User
) -> None:
    notify(users=[team_manager], subject="New referral co-allocated to Evolve", body="Open it.", url="/", email=False)
    notify(users=[social_worker], subject="Someone else's", body="Not yours.", email=False)
    client = sign_in(team_manager)
    home = client.get("/").content.decode()
    assert '1<span class="govuk-visually-hidden"> new</span>' in home
    page = client.get(reverse("notifications:notification-list")).content.decode()
    assert "New referral co-allocated to Evolve" in page and "Someone else&#x27;s" not in page
    assert Notification.objects.get(user=team_manager).read_at is not None
    assert '<span class="govuk-visually-hidden"> new</span>' not in client.get("/").content.decode()
